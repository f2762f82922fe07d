import type { ManifestFile } from '@dynamojs/core';
import { checkFile, readRequired } from './modelFiles.js';
import type { ModelSource } from './source.js';

/** One entry of ONNX Runtime's `externalData` session option. */
export interface ExternalDataFile {
  /** The name the graph's tensors use: the file name, relative to the .onnx file's folder. */
  readonly path: string;
  readonly data: Uint8Array;
}

/**
 * Reads a model file's external-data files (the manifest's `externalData`, required; or, for a
 * plain export, the first of `probe` — the conventional `<model>.onnx_data` / `<model>.onnx.data` —
 * that is present) as ONNX Runtime's `externalData` session option.
 */
export async function readExternalData(
  source: ModelSource,
  entry: ManifestFile,
  verify: boolean,
  probe: readonly string[] = [],
): Promise<ExternalDataFile[]> {
  const dir = entry.path.includes('/') ? entry.path.slice(0, entry.path.lastIndexOf('/') + 1) : '';
  const out: ExternalDataFile[] = [];
  for (const d of entry.externalData ?? []) {
    const data = await readRequired(source, d.path, `external data of ${entry.path}`);
    await checkFile(source, { role: 'model-data', ...d }, data, verify);
    out.push({ path: d.path.slice(dir.length), data });
  }
  for (const path of probe) {
    const data = await source.read(path);
    if (data) {
      out.push({ path: path.slice(dir.length), data });
      break;
    }
  }
  return out;
}
