import { dynamoBuild } from '../../tsup.shared';

// Three entries: the runtime-agnostic core (no ONNX Runtime import), the Node entry
// (onnxruntime-node) and the web entry (onnxruntime-web). `shims` gives the CJS build an
// `import.meta.url` (node.ts locates onnxruntime-node's binaries with it).
export default dynamoBuild({ entry: ['src/index.ts', 'src/node.ts', 'src/web.ts'], shims: true });
