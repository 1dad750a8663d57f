#!/usr/bin/env node
// The `member-centre` bin: runs the TypeScript CLI through tsx, so there is no
// build step between a git pull and the operator's next command.
require('tsx/cjs');
// `member-centre members export | head` closes the pipe early: that is not an error. Any other
// failure to write the output (a full disk behind `> file`) is said in a line, not a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  process.stderr.write(`member-centre: cannot write the output: ${error.code === 'ENOSPC' ? 'no space left on the disk' : error.message}; what was written is incomplete\n`);
  process.exit(1);
});
require('../cloudfunctions/core/local/cli.ts')
  .run(process.argv)
  .catch((error) => {
    process.stderr.write(`member-centre: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
