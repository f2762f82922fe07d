import type { ManifestFile } from '@dynamojs/core';
import { checkFile, readRequired } from './modelFiles.js';
import type { ModelSource } from './source.js';

/** The most `_data_{i}` chunks probed for (transformers.js's MAX_EXTERNAL_DATA_CHUNKS). */
const MAX_PROBED_CHUNKS = 100;

/** One entry of ONNX Runtime's `externalData` session option. */
export interface ExternalDataFile {
  /** The name the graph's tensors use: the file name, relative to the .onnx file's folder. */
  readonly path: string;
  readonly data: Uint8Array;
}

/**
 * Reads a model file's external-data files (the manifest's `externalData`, required; or, for a
 * plain export, the first of `probe` — the conventional `<model>.onnx_data` / `<model>.onnx.data` —
 * that is present, with the `<model>.onnx_data_1`, `_2`, … chunks that follow it) as ONNX Runtime's
 * `externalData` session option.
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
    if (!data) continue;
    out.push({ path: path.slice(dir.length), data });
    // transformers.js splits large weights into `model.onnx_data`, `model.onnx_data_1`, …
    if (path.endsWith('_data')) {
      for (let i = 1; i < MAX_PROBED_CHUNKS; i++) {
        const more = await source.read(`${path}_${i}`);
        if (!more) break;
        out.push({ path: `${path}_${i}`.slice(dir.length), data: more });
      }
    }
    break;
  }
  return out;
}
