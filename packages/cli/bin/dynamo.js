#!/usr/bin/env node
// The `dynamo` command: runs the built CLI (dist/bin.js). This small file is committed so that npm
// links the command even where dist/ does not exist yet (a fresh clone, before the build).
import('../dist/bin.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && /dist[\\/]bin\.js/.test(String(error.message))) {
    process.stderr.write(
      'dynamo: @dynamojs/cli is not built (dist/bin.js is missing). Build it first: npm run build (from the repository root).\n',
    );
    process.exitCode = 1;
    return;
  }
  throw error;
});
