import { dynamoBuild } from '../../tsup.shared';

// Two entries with the same API: node.ts loads models with onnxruntime-node (files, http URLs,
// the bundled @dynamojs/model-tiny), web.ts with onnxruntime-web (URLs). The package's "."
// export picks node.ts under the "node" condition and web.ts everywhere else (browsers, bundlers).
export default dynamoBuild({ entry: ['src/node.ts', 'src/web.ts'] });
