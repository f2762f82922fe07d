import { dynamoBuild } from '../../tsup.shared';

export default dynamoBuild();
