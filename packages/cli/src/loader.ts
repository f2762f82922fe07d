import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type DecodingDefaults,
  DynamoError,
  DynamoErrorCode,
  type MultiTokenModel,
  type TextTokenizer,
} from '@dynamojs/core';

/** What a command needs loaded. */
export interface LoadRequest {
  /** Model folder; default: the bundled reference model (@dynamojs/model-tiny). */
  readonly modelPath?: string;
  readonly device: string;
  /** CPU threads per session (intra-op). */
  readonly threads?: number;
  /** Which file of a hub export (transformers.js dtypes: fp32, fp16, q8, q4, …), or a DynaMo model's variant. */
  readonly dtype?: string;
  /**
   * Load the multi-head graph: always, never, or `'unless-draft-head'` — only when the folder has no
   * draft head (DynaMo then runs its chain sampler on the base-only graph and the draft head).
   */
  readonly multi: boolean | 'unless-draft-head';
  /** Load the draft head with the base-only graph when the folder lists one (`bundle.draftHead`). */
  readonly draftHead?: boolean;
  /** Load the base-only graph (the honest AR baseline), when the folder has one. */
  readonly base: boolean;
  /** Load the co-occurrence tables (ngrams.bin), when the folder has them. */
  readonly tables: boolean;
}

/** Everything a command runs on. */
export interface ModelBundle {
  readonly dir: string;
  readonly tokenizer: TextTokenizer;
  /** The multi-head model (undefined when not requested). */
  readonly model: MultiTokenModel | undefined;
  /** The base-only model; falls back to `model` (run with headPositions 'none') when absent. */
  readonly baseModel: MultiTokenModel | undefined;
  /** True when `baseModel` was loaded with its draft head (`baseModel.draftHead`). */
  readonly draftHead?: boolean;
  /** Co-occurrence tables for the DynaMo sampler (samplers' CoOccurrenceTables), when present. */
  readonly tables: unknown;
  /** The device actually in use. */
  readonly device: string;
  dispose(): Promise<void>;
}

/**
 * What a model folder ships, read from its manifest before anything is loaded — what
 * `resolveDecoding` (@dynamojs/generate) needs to decide which graph and files to load.
 */
export interface ModelFacts {
  /** Heads of the multi-head graph (1: a plain decoder). */
  readonly heads?: number;
  /** The folder ships a draft head (and the base-only graph it runs on). */
  readonly draftHead?: boolean;
  /** The folder ships co-occurrence tables (ngrams.bin). */
  readonly tables?: boolean;
  /** The manifest's decoding recommendations. */
  readonly decoding?: DecodingDefaults;
  /** False when the chosen file quantizes activations dynamically (a hub export's q8 / int8 / uint8). */
  readonly passInvariant?: boolean;
}

/**
 * Loads what a command needs. `inspect` (optional) reads a folder's {@link ModelFacts} without
 * loading it; without it, commands decide as for a folder that ships nothing beyond the graph.
 */
export type Loader = ((request: LoadRequest) => Promise<ModelBundle>) & {
  readonly inspect?: (modelPath: string | undefined, dtype?: string) => Promise<ModelFacts>;
};

/** The bundled reference model's folder. */
export async function defaultModelDir(): Promise<string> {
  try {
    const tiny = (await import('@dynamojs/model-tiny')) as { modelDir?: () => string };
    if (typeof tiny.modelDir === 'function') return tiny.modelDir();
  } catch {
    // fall through to the path relative to this file (monorepo layout)
  }
  return resolve(new URL('../../model-tiny/model/', import.meta.url).pathname);
}

interface ManifestLike {
  heads?: unknown;
  decoding?: DecodingDefaults;
  files?: { role?: string; variant?: string }[];
}

/** The folder's dynamo.json as far as it can be read (undefined: none, or not JSON). */
async function readManifest(dir: string): Promise<ManifestLike | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'dynamo.json'), 'utf8')) as ManifestLike;
  } catch {
    return undefined;
  }
}

/** Whether the model folder's manifest lists a file of this role (and variant). */
async function hasFile(dir: string, role: string, variant?: string): Promise<boolean> {
  const manifest = await readManifest(dir);
  return manifest?.files?.some((f) => f.role === role && (variant === undefined || f.variant === variant)) === true;
}

function folderOf(modelPath: string | undefined): Promise<string> {
  return modelPath === undefined ? defaultModelDir() : Promise.resolve(resolve(modelPath));
}

/** Reads a folder's {@link ModelFacts} from its manifest and files (nothing is loaded). */
export async function inspectModelFolder(modelPath: string | undefined, dtype?: string): Promise<ModelFacts> {
  const dir = await folderOf(modelPath);
  const manifest = await readManifest(dir);
  const hasBase = existsSync(join(dir, 'base', 'onnx', 'model.onnx'));
  // a hub export's dynamically quantized files (model_quantized / _int8 / _uint8): known from the
  // dtype before loading (the loaded model's metadata.passInvariant says it for any file)
  const dynamic = manifest === undefined && dtype !== undefined && ['q8', 'int8', 'uint8'].includes(dtype);
  return {
    ...(dynamic && { passInvariant: false }),
    heads: typeof manifest?.heads === 'number' ? manifest.heads : 1,
    draftHead: hasBase && manifest?.files?.some((f) => f.role === 'draft-head') === true,
    tables: existsSync(join(dir, 'ngrams.bin')),
    ...(manifest?.decoding !== undefined && { decoding: manifest.decoding }),
  };
}

/** Whether the model folder's manifest lists a multi-head graph of this variant. */
function hasVariant(dir: string, variant: string): Promise<boolean> {
  return hasFile(dir, 'model', variant);
}

/** Loads the tokenizer, the model(s) and the tables with onnxruntime-node. */
const loadWithNode = async (request: LoadRequest): Promise<ModelBundle> => {
  const dir = await folderOf(request.modelPath);
  if (!existsSync(dir)) {
    throw new DynamoError(
      DynamoErrorCode.MODEL_LOAD,
      request.modelPath === undefined
        ? `The bundled reference model is missing (${dir}); pass --model PATH.`
        : `No model folder at ${dir}.`,
      { details: { file: dir } },
    );
  }
  const [{ loadTokenizer }, onnx] = await Promise.all([import('@dynamojs/tokenizer'), import('@dynamojs/onnx/node')]);
  const tokenizerPath = existsSync(join(dir, 'tokenizer.json'))
    ? join(dir, 'tokenizer.json')
    : join(dir, 'base', 'tokenizer.json');
  const tokenizer = await loadTokenizer(tokenizerPath);
  const sessionOptions =
    request.threads === undefined ? undefined : { intraOpNumThreads: request.threads, interOpNumThreads: 1 };
  const common = {
    device: request.device as 'auto',
    tokenizer,
    allowVocabPadding: true,
    ...(sessionOptions && { sessionOptions }),
    ...(request.dtype !== undefined && { dtype: request.dtype }),
  };
  const loaded: MultiTokenModel[] = [];
  try {
    const hasBase = existsSync(join(dir, 'base', 'onnx', 'model.onnx'));
    const draftHead = request.draftHead === true && hasBase && (await hasFile(dir, 'draft-head'));
    const multi = request.multi === true || (request.multi === 'unless-draft-head' && !draftHead);
    request = { ...request, multi };
    let baseModel: MultiTokenModel | undefined;
    if ((request.base || draftHead) && hasBase) {
      baseModel = await onnx.loadModel(dir, { ...common, baseOnly: true, ...(draftHead && { draftHead: true }) });
      loaded.push(baseModel);
    }
    // On the CPU the multi-head graph's mixed-precision variant (8-bit head layers, head 0 bit for bit
    // the fp32 model's) makes multi-token passes cheaper; elsewhere the model's default file. With
    // 'auto', the device the base-only graph landed on (or, without one, the one the multi-head
    // graph lands on) decides.
    const mixed =
      request.dtype === undefined &&
      request.multi &&
      request.device !== 'cuda' &&
      request.device !== 'webgpu' &&
      (await hasVariant(dir, 'mixed'));
    let model: MultiTokenModel | undefined;
    if (request.multi) {
      const known = request.device === 'auto' ? baseModel?.metadata.device : request.device;
      if (mixed && known === 'cpu') {
        model = await onnx.loadModel(dir, { ...common, device: 'cpu', variant: 'mixed' });
      } else {
        model = await onnx.loadModel(dir, common);
        if (mixed && known === undefined && model.metadata.device === 'cpu') {
          // 'auto' fell back to the CPU: reopen the cheaper variant there.
          await model.dispose();
          model = await onnx.loadModel(dir, { ...common, device: 'cpu', variant: 'mixed' });
        }
      }
      loaded.push(model);
    }
    if (request.base && !hasBase) {
      baseModel = model ?? (await onnx.loadModel(dir, common));
      if (!model) loaded.push(baseModel);
    }
    let tables: unknown;
    if (request.tables && existsSync(join(dir, 'ngrams.bin'))) {
      const samplers = await import('@dynamojs/samplers');
      tables = samplers.loadCoOccurrenceTables(await readFile(join(dir, 'ngrams.bin')), {
        vocabSize: (model ?? baseModel)?.metadata.vocabSize,
      });
    }
    const device = (model ?? baseModel)?.metadata.device ?? request.device;
    return {
      dir,
      tokenizer,
      model,
      baseModel,
      draftHead,
      tables,
      device,
      async dispose() {
        await Promise.all(loaded.map((m) => m.dispose()));
      },
    };
  } catch (error) {
    await Promise.all(loaded.map((m) => m.dispose().catch(() => undefined)));
    throw error;
  }
};

/** The CLI's loader: onnxruntime-node, with {@link inspectModelFolder}. */
export const nodeLoader: Loader = Object.assign(loadWithNode, { inspect: inspectModelFolder });
