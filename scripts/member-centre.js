#!/usr/bin/env node
// The `member-centre` bin: runs the TypeScript CLI through tsx, so there is no
// build step between a git pull and the operator's next command.
require('tsx/cjs');
require('../cloudfunctions/core/local/cli.ts')
  .run(process.argv)
  .catch((error) => {
    process.stderr.write(`member-centre: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
