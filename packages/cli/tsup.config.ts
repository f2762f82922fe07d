import { dynamoBuild } from '../../tsup.shared';

// src/bin.ts starts with `#!/usr/bin/env node`: esbuild keeps it and tsup marks dist/bin.js executable.
// shims: the CJS build gets an import.meta.url (the loader locates the bundled model with it).
export default dynamoBuild({ entry: ['src/index.ts', 'src/bin.ts'], shims: true });
