import { dynamoBuild } from '../../tsup.shared';

// `shims: true` makes import.meta.url work in the CJS build too.
export default dynamoBuild({ shims: true });
