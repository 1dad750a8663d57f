// Entry of an import's reading thread (read-ahead.ts). A worker thread does not
// inherit the TypeScript loader of the thread that started it, so this entry is
// plain JavaScript: it registers tsx, then runs the reader.
require('tsx/cjs');
void require('./read-ahead.ts').runReader();
