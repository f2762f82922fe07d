import { DynamoError, DynamoErrorCode, type ManifestFile, type ModelManifest, parseManifest } from '@dynamojs/core';
import type { LoadOptions } from './loadOptions.js';
import { decodeText, loadError } from './modelFiles.js';
import { resolvePlainExport } from './plainExport.js';
import type { ModelSource } from './source.js';

/** Which files a load uses: the manifest, and its model, draft-head and tokenizer entries. */
export interface ResolvedModel {
  readonly manifest: ModelManifest;
  readonly entry: ManifestFile;
  /** The manifest's draft-head file, if it lists one. */
  readonly draftEntry?: ManifestFile;
  readonly tokenizerEntry?: ManifestFile;
  readonly baseOnly: boolean;
  /** External-data files to use when present (plain exports, which have no manifest to list them). */
  readonly probeExternalData?: readonly string[];
  /** A plain export (config.json, no dynamo.json): cache shapes are read from the graph. */
  readonly plainExport?: boolean;
  /** generation_config.json's (else config.json's) eos ids, for a plain export. */
  readonly eosTokenIds?: readonly number[];
  /** The model file's bytes, when resolving already read them (not read twice). */
  readonly modelBytes?: Uint8Array;
  /** First position id (1 for the model types transformers.js counts from 1, e.g. gemma3_text); default 0. */
  readonly positionOffset?: number;
}

/** The `role` file that `options.variant` names (default: the `"default": true` one, else fp32). */
function pickVariant(candidates: readonly ManifestFile[], role: string, variant: string | undefined): ManifestFile {
  const entry =
    variant === undefined
      ? (candidates.find((f) => f.default === true) ??
        candidates.find((f) => (f.variant ?? 'fp32') === 'fp32') ??
        candidates[0])
      : candidates.find((f) => (f.variant ?? 'fp32') === variant);
  if (!entry) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      `Option "variant" must be one of ${candidates.map((f) => JSON.stringify(f.variant ?? 'fp32')).join(', ')} ` +
        `for this model's ${role} files, got ${JSON.stringify(variant)}.`,
      {
        details: { option: 'variant', actual: variant, expected: candidates.map((f) => f.variant ?? 'fp32') },
      },
    );
  }
  return entry;
}

/**
 * Reads the model's dynamo.json (or, without one, a plain export's config.json) and picks the
 * graph file to load from `variant` and `baseOnly`; a base-only load gets a 1-head manifest.
 */
export async function resolveModel(source: ModelSource, options: LoadOptions): Promise<ResolvedModel> {
  const manifestBytes = await source.read('dynamo.json');
  if (!manifestBytes) {
    const configBytes = await source.read('config.json');
    if (!configBytes) {
      throw loadError(
        `${source.description}: neither dynamo.json (a DynaMo model) nor config.json (a transformers.js export) found.`,
        source.locate('dynamo.json'),
      );
    }
    return await resolvePlainExport(source, options, configBytes);
  }
  const manifest = parseManifest(decodeText(manifestBytes), source.locate('dynamo.json'));
  const tokenizerEntry = manifest.files.find((f) => f.role === 'tokenizer');
  const draftEntry = manifest.files.find((f) => f.role === 'draft-head');
  const role = options.baseOnly ? 'base-model' : 'model';
  const candidates = manifest.files.filter((f) => f.role === role);
  if (candidates.length === 0) {
    throw loadError(
      `${source.locate('dynamo.json')} lists no ${role} file` +
        (options.baseOnly ? ' (baseOnly needs a base-only export).' : '.'),
      source.locate('dynamo.json'),
    );
  }
  const entry = pickVariant(candidates, role, options.variant);
  const extras = { ...(tokenizerEntry && { tokenizerEntry }), ...(draftEntry && { draftEntry }) };
  if (!options.baseOnly) return { manifest, entry, ...extras, baseOnly: false };
  const { architecture: a } = manifest;
  const base: ModelManifest = {
    ...manifest,
    name: `${manifest.name} (base only)`,
    heads: 1,
    architecture: { ...a, headLayers: 0 },
    io: { cacheLayers: a.layers },
    files: [{ ...entry, role: 'model' }],
  };
  return { manifest: base, entry, ...extras, baseOnly: true };
}
