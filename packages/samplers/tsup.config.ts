import { dynamoBuild } from '../../tsup.shared';

export default dynamoBuild({ entry: ['src/index.ts', 'src/node.ts'] });
