import {
  checkHeadRows,
  checkInteger,
  checkTokenIds,
  checkTokenTree,
  DynamoError,
  DynamoErrorCode,
  type ForwardOptions,
  type ForwardResult,
  type KVCache,
  type ModelManifest,
  type ModelMetadata,
  type MultiTokenModel,
  type PositionSelection,
  throwIfAborted,
} from '@dynamojs/core';
import { type CacheOwner, OnnxKVCache } from './cache.js';
import type { DeviceName, DeviceReport } from './devices.js';
import { errorMessage } from './devices.js';
import type { OnnxDraftHead } from './draftHead.js';
import { ForwardBuffers } from './forwardBuffers.js';
import type { GraphSpec } from './graph.js';
import { float16Feedable, float16ToFloat32 } from './half.js';
import type { OrtRuntime, OrtSession, OrtTensor } from './runtime.js';

/** Everything `OnnxModel` is built from (the loaders assemble it). */
export interface OnnxModelParts {
  readonly ort: OrtRuntime;
  readonly session: OrtSession;
  readonly manifest: ModelManifest;
  readonly graph: GraphSpec;
  readonly device: DeviceName;
  readonly deviceReport: DeviceReport;
  /** The model file loaded (e.g. "/models/tiny/model.onnx"). */
  readonly file: string;
  /** The file variant loaded ("fp32", "q8", …). */
  readonly variant: string;
  /** True when this is the base-only graph of a multi-head model (`baseOnly: true`). */
  readonly baseOnly: boolean;
  /** The model's draft head, when loaded with it (`draftHead: true`); disposed with the model. */
  readonly draftHead?: OnnxDraftHead;
  /** Every eos id (generation_config.json's `eos_token_id`, a number or a list); default [specialTokens.eos]. */
  readonly eosTokenIds?: readonly number[];
  /**
   * Added to every `position_ids` value: 1 for the exports transformers.js feeds 1-based positions
   * (gemma3_text, gemma3, paligemma), so that both run the same graph inputs; default 0.
   */
  readonly positionOffset?: number;
  /** False when the graph quantizes activations dynamically (see `ModelMetadata.passInvariant`). */
  readonly passInvariant?: boolean;
  /** Opens a session of the Slice graph on the same device, to trim device-resident caches. */
  readonly createTrimSession?: () => Promise<OrtSession>;
  /** Opens a session of the Gather graph on the same device, to compact device-resident caches. */
  readonly createCompactSession?: () => Promise<OrtSession>;
  /**
   * The static cache's capacity (`kvCache: 'static'`; the graph was rewritten by `staticKvGraph`):
   * caches are [1, A, capacity, D] buffers bound as the pass's `present.*` outputs, and the model's
   * `contextLength` is the capacity. Absent for the dynamic cache.
   */
  readonly kvCapacity?: number;
  /** Opens a session of the row-move graph on the same device, to compact device-resident static caches. */
  readonly createMoveSession?: () => Promise<OrtSession>;
  /** Opens a session of the zeros graph with its output in GPU buffers, to allocate static caches on WebGPU. */
  readonly createZerosSession?: () => Promise<OrtSession>;
}

class OnnxForwardResult implements ForwardResult {
  constructor(
    readonly heads: number,
    readonly positionCount: number,
    readonly headPositionCount: number,
    /** Node index of each returned extra-head row (a view of the cache's buffer). */
    readonly headRows: Int32Array,
    private readonly base: Float32Array,
    private readonly baseRow0: number,
    private readonly extra: Float32Array | undefined,
    private readonly extraRows: number,
    /**
     * Tensor row of node n in head_logits = n - extraNode0 (the graph returned the last rows), or
     * -1 when the graph returned exactly the listed rows (tensor row i = returned row i).
     */
    private readonly extraNode0: number,
    private readonly vocab: number,
    /** `hidden_states` [1, rows, d] (rows = head 0's rows), when the graph has it. */
    private readonly hiddenData: Float32Array | undefined,
    private readonly hiddenSize: number,
  ) {
    this.hidden = hiddenData === undefined ? undefined : (index?: number) => this.hiddenRow(index);
  }

  readonly hidden: ((index?: number) => Float32Array) | undefined;

  private hiddenRow(index?: number): Float32Array {
    const i = index ?? this.positionCount - 1;
    if (!Number.isInteger(i) || i < 0 || i >= this.positionCount) {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        `hidden(index = ${String(index)}): index must be an integer in [0, ${this.positionCount}).`,
        { details: { option: 'index', expected: `[0, ${this.positionCount})`, actual: index } },
      );
    }
    const d = this.hiddenSize;
    const start = (this.baseRow0 + i) * d;
    return (this.hiddenData as Float32Array).subarray(start, start + d);
  }

  logits(head: number, index?: number): Float32Array {
    if (!Number.isInteger(head) || head < 0 || head >= this.heads) {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        `logits(head = ${String(head)}): head must be an integer in [0, ${this.heads})` +
          (this.heads === 1 && head > 0 ? ' (extra heads were skipped or the model has one head)' : '') +
          '.',
        { details: { option: 'head', expected: `[0, ${this.heads})`, actual: head } },
      );
    }
    const count = head === 0 ? this.positionCount : this.headPositionCount;
    const i = index ?? count - 1;
    if (!Number.isInteger(i) || i < 0 || i >= count) {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        `logits(${head}, index = ${String(index)}): index must be an integer in [0, ${count}).`,
        { details: { option: 'index', expected: `[0, ${count})`, actual: index } },
      );
    }
    const V = this.vocab;
    if (head === 0) {
      const start = (this.baseRow0 + i) * V;
      return this.base.subarray(start, start + V);
    }
    const row = this.extraNode0 < 0 ? i : (this.headRows[i] as number) - this.extraNode0;
    const start = ((head - 1) * this.extraRows + row) * V;
    return (this.extra as Float32Array).subarray(start, start + V);
  }
}

function resolvePositions(option: string, value: PositionSelection, chunk: number): number {
  if (value === 'last') return 1;
  if (value === 'all') return chunk;
  return checkInteger(option, value, { min: 1, max: chunk });
}

/**
 * A DynaMo (or plain autoregressive) ONNX model: core's `MultiTokenModel` over ONNX Runtime.
 * Create it with `loadModel` from `@dynamojs/onnx/node` or `@dynamojs/onnx/web`.
 */
export class OnnxModel implements MultiTokenModel {
  readonly metadata: ModelMetadata;
  readonly manifest: ModelManifest;
  readonly deviceReport: DeviceReport;
  readonly graph: GraphSpec;
  readonly file: string;
  readonly variant: string;
  readonly baseOnly: boolean;
  readonly draftHead: OnnxDraftHead | undefined;
  /**
   * Every end-of-sequence id: a plain export's generation_config.json `eos_token_id` (a number or a
   * list, e.g. Llama 3's [128001, 128008, 128009]), else config.json's, else the manifest's
   * `specialTokens.eos`. `metadata.specialTokens.eos` is the first; `metadata.eosTokenIds` holds the
   * list when it has several, and generate stops at any of them by default.
   */
  readonly eosTokenIds: readonly number[];
  /** `'static'`: fixed-capacity caches updated in place (`loadModel(…, { kvCache: 'static' })`); else `'dynamic'`. */
  readonly kvCache: 'dynamic' | 'static';
  /** The static cache's capacity in positions (= `metadata.contextLength`); 0 for the dynamic cache. */
  readonly kvCapacity: number;
  readonly #ort: OrtRuntime;
  #session: OrtSession | null;
  readonly #caches = new Set<OnnxKVCache>();
  readonly #owner: CacheOwner;
  readonly #ones: BigInt64Array;
  readonly #scalars = new Map<number, OrtTensor>();
  readonly #vocab: number;
  readonly #context: number;
  readonly #positionOffset: number;
  #trimSession: Promise<OrtSession> | null = null;
  #compactSession: Promise<OrtSession> | null = null;
  #moveSession: Promise<OrtSession> | null = null;
  #zerosSession: Promise<OrtSession> | null = null;
  /** Every output name → null: the fetch list of a pass that binds a static cache's buffers. */
  readonly #fetchTemplate: Record<string, OrtTensor | null>;
  /** Each cache's input buffers (a cache runs one pass at a time, so they are never shared). */
  readonly #buffers = new WeakMap<OnnxKVCache, ForwardBuffers>();
  /** `tree_attention_mask` of a chain: [1, 1, 1] holding 1 (the graph ANDs it with the causal mask). */
  readonly #chainMask: OrtTensor | undefined;

  constructor(parts: OnnxModelParts) {
    const { manifest, graph, ort, session } = parts;
    this.#ort = ort;
    this.#session = session;
    this.manifest = manifest;
    this.graph = graph;
    this.file = parts.file;
    this.variant = parts.variant;
    this.baseOnly = parts.baseOnly;
    this.draftHead = parts.draftHead;
    const eos = manifest.specialTokens.eos;
    this.eosTokenIds = Object.freeze([...(parts.eosTokenIds ?? (eos !== undefined ? [eos] : []))]);
    this.deviceReport = parts.deviceReport;
    this.#vocab = manifest.vocabSize;
    this.kvCapacity = parts.kvCapacity ?? 0;
    this.kvCache = this.kvCapacity > 0 ? 'static' : 'dynamic';
    this.#context = this.kvCapacity > 0 ? this.kvCapacity : manifest.contextLength;
    this.#fetchTemplate = Object.fromEntries(session.outputNames.map((n) => [n, null]));
    this.#positionOffset = parts.positionOffset ?? 0;
    this.metadata = Object.freeze({
      name: manifest.name,
      heads: manifest.heads,
      vocabSize: manifest.vocabSize,
      contextLength: this.#context,
      specialTokens: manifest.specialTokens,
      ...(this.eosTokenIds.length > 1 && { eosTokenIds: this.eosTokenIds }),
      ...(parts.passInvariant === false && { passInvariant: false }),
      device: parts.device,
      ...(manifest.decoding && { decoding: manifest.decoding }),
      treeAttention: graph.hasTreeAttention,
      headLogitsRows: graph.hasHeadLogitsRows,
      ...(graph.hiddenSize > 0 && { hiddenSize: graph.hiddenSize }),
    });
    if (graph.hasTreeAttention) this.#chainMask = new ort.Tensor('int64', BigInt64Array.of(1n), [1, 1, 1]);
    this.#ones = new BigInt64Array(this.#context).fill(1n);
    const emptyData = () => (graph.kvType === 'float16' ? new Uint16Array(0) : new Float32Array(0));
    const emptyPast = graph.pastNames.map(
      () => new ort.Tensor(graph.kvType, emptyData(), [1, graph.kvHeads, 0, graph.headDim]) as OrtTensor,
    );
    const model = this;
    this.#owner = {
      get disposed() {
        return model.#session === null;
      },
      ort,
      kvHeads: graph.kvHeads,
      headDim: graph.headDim,
      kvType: graph.kvType,
      emptyPast,
      forget: (cache) => model.#caches.delete(cache),
      ...(this.kvCapacity > 0 && {
        capacity: this.kvCapacity,
        allocate: async () => {
          const dims = [1, graph.kvHeads, this.kvCapacity, graph.headDim];
          const n = graph.kvHeads * this.kvCapacity * graph.headDim;
          if (!parts.createZerosSession) {
            return graph.pastNames.map(
              () =>
                new ort.Tensor(
                  graph.kvType,
                  graph.kvType === 'float16' ? new Uint16Array(n) : new Float32Array(n),
                  dims,
                ) as OrtTensor,
            );
          }
          // JavaScript cannot create a GPU buffer in Node: a zeros graph's outputs are the buffers
          model.#zerosSession ??= parts.createZerosSession();
          const zeros = await model.#zerosSession;
          const shape = new ort.Tensor('int64', BigInt64Array.from(dims, BigInt), [4]);
          const out: OrtTensor[] = [];
          try {
            for (let i = 0; i < graph.pastNames.length; i++) out.push((await zeros.run({ shape })).y as OrtTensor);
          } catch (error) {
            for (const t of out) t.dispose();
            throw error;
          } finally {
            shape.dispose();
          }
          return out;
        },
      }),
      ...(parts.createMoveSession && {
        moveOnDevice: async (tensor: OrtTensor, src: OrtTensor, indices: OrtTensor) => {
          model.#moveSession ??= (parts.createMoveSession as () => Promise<OrtSession>)();
          const move = await model.#moveSession;
          await move.run({ x: tensor, src, indices }, { y: tensor });
        },
      }),
      ...(parts.createTrimSession && {
        sliceOnDevice: async (tensor: OrtTensor, length: number) => {
          model.#trimSession ??= (parts.createTrimSession as () => Promise<OrtSession>)();
          const trim = await model.#trimSession;
          const out = await trim.run({
            x: tensor,
            length: new ort.Tensor('int64', BigInt64Array.of(BigInt(length)), [1]),
          });
          return out.y as OrtTensor;
        },
      }),
      ...(parts.createCompactSession && {
        gatherOnDevice: async (tensor: OrtTensor, indices: OrtTensor) => {
          model.#compactSession ??= (parts.createCompactSession as () => Promise<OrtSession>)();
          const compact = await model.#compactSession;
          const out = await compact.run({ x: tensor, indices });
          return out.y as OrtTensor;
        },
      }),
    };
  }

  /** The device in use (same as `metadata.device`). */
  get device(): DeviceName {
    return this.metadata.device as DeviceName;
  }

  get disposed(): boolean {
    return this.#session === null;
  }

  /** The underlying ONNX Runtime session (advanced use; do not dispose it). */
  get session(): OrtSession {
    return this.#alive();
  }

  #alive(): OrtSession {
    if (!this.#session)
      throw new DynamoError(DynamoErrorCode.DISPOSED, `The model "${this.metadata.name}" has been disposed.`);
    return this.#session;
  }

  createCache(): OnnxKVCache {
    this.#alive();
    const cache = new OnnxKVCache(this.#owner);
    this.#caches.add(cache);
    return cache;
  }

  #scalar(k: number): OrtTensor {
    let t = this.#scalars.get(k);
    if (!t) {
      t = new this.#ort.Tensor('int64', BigInt64Array.of(BigInt(k)), []);
      if (this.#scalars.size < 64) this.#scalars.set(k, t);
    }
    return t;
  }

  async forward(newTokens: ArrayLike<number>, kvCache: KVCache, options: ForwardOptions = {}): Promise<ForwardResult> {
    const session = this.#alive();
    if (!(kvCache instanceof OnnxKVCache) || kvCache.owner !== this.#owner) {
      throw new DynamoError(
        DynamoErrorCode.CACHE_STATE,
        `This KV cache was not created by the model "${this.metadata.name}" (use model.createCache()).`,
      );
    }
    const cache = kvCache;
    cache.assertUsable();
    if (cache.busy) {
      throw new DynamoError(
        DynamoErrorCode.CACHE_STATE,
        'A forward pass is already running on this KV cache; await it before the next one.',
      );
    }
    const S = newTokens?.length;
    if (typeof S !== 'number' || S < 1) {
      throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'forward() needs at least one new token.', {
        details: { option: 'newTokens', expected: 'length ≥ 1', actual: S },
      });
    }
    checkTokenIds(newTokens, this.#vocab);
    let buffers = this.#buffers.get(cache);
    if (!buffers) this.#buffers.set(cache, (buffers = new ForwardBuffers()));
    buffers.reserve(S);
    const tree = options.tree;
    const isTree = tree !== undefined && !checkTokenTree(tree, S, buffers.depths);
    if (isTree && !this.graph.hasTreeAttention) {
      let node = 0;
      while ((tree.parents[node] as number) === node - 1) node++;
      throw new DynamoError(
        DynamoErrorCode.UNSUPPORTED,
        `${this.file} has no tree inputs (no "tree_attention_mask"), so this model runs chains only, and the ` +
          `tree asked for branches at node ${node} (parents[${node}] = ${String(tree.parents[node])}). Chains ` +
          '(no tree, or parents[i] = i - 1) still work; token trees need a graph with tree attention ' +
          '(metadata.treeAttention, https://github.com/dynamojs/dynamojs/blob/main/docs/model-format.md).',
        { details: { option: 'tree', file: this.file, index: node, expected: 'a chain', actual: tree.parents[node] } },
      );
    }
    const P = cache.length;
    if (P + S > this.#context) {
      throw new DynamoError(
        DynamoErrorCode.CONTEXT_OVERFLOW,
        this.kvCapacity > 0
          ? `${P} cached + ${S} new tokens exceed the static KV cache's capacity of ${this.kvCapacity} ` +
              `positions (kvCapacity; the model's context is ${this.manifest.contextLength}): load the model with a ` +
              'larger kvCapacity, or trim the cache.'
          : `${P} cached + ${S} new tokens exceed the context length of ${this.#context}.`,
        {
          details: {
            expected: `≤ ${this.#context}`,
            actual: P + S,
            ...(this.kvCapacity > 0 && { option: 'kvCapacity' }),
          },
        },
      );
    }
    const K = resolvePositions('positions', options.positions ?? 'last', S);
    const E = this.graph.extraHeads;
    const headSel = options.headPositions ?? options.positions ?? 'last';
    // R: the extra heads' rows returned, `list`: the node indices asked for (else the last R)
    let R = 0;
    let list: ArrayLike<number> | undefined;
    if (typeof headSel === 'string' || typeof headSel === 'number') {
      if (headSel !== 'none') R = resolvePositions('headPositions', headSel, S);
    } else {
      R = checkHeadRows(headSel, S);
      list = headSel;
    }
    if (E === 0) R = 0;
    buffers.setHeadRows(list, R, S);
    throwIfAborted(options.signal, 'forward pass');

    const Tensor = this.#ort.Tensor;
    const feeds: Record<string, OrtTensor> = {
      input_ids: new Tensor('int64', buffers.setIds(newTokens, S), [1, S]),
      attention_mask: new Tensor('int64', this.#ones.subarray(0, P + S), [1, P + S]),
    };
    if (this.graph.hasPositionIds) {
      feeds.position_ids = new Tensor('int64', buffers.setPositions(P + this.#positionOffset, S, isTree), [1, S]);
    }
    if (this.#chainMask) {
      feeds.tree_attention_mask = isTree
        ? new Tensor('int64', buffers.setTreeMask(tree, S), [1, S, S])
        : this.#chainMask;
    }
    cache.busy = true;
    try {
      const past = cache.currentTensors() ?? (await cache.pastTensors());
      const names = this.graph.pastNames;
      if (this.graph.kvType === 'float16') {
        for (let i = 0; i < names.length; i++) feeds[names[i] as string] = float16Feedable(past[i] as OrtTensor);
      } else {
        for (let i = 0; i < names.length; i++) feeds[names[i] as string] = past[i] as OrtTensor;
      }
      if (this.graph.hasLogitsToKeep) feeds[this.graph.logitsToKeepName] = this.#scalar(K);
      if (this.graph.hasUseCacheBranch) feeds.use_cache_branch = new Tensor('bool', [P > 0], [1]);
      // the extra heads' rows: exactly the rows (none when skipped), or the last K2 rows covering them
      if (this.graph.hasHeadLogitsRows)
        feeds.head_logits_rows = new Tensor('int64', buffers.headRows.subarray(0, R), [R]);
      if (this.graph.hasHeadLogitsToKeep) {
        feeds.num_head_logits_to_keep = this.#scalar(R === 0 ? 1 : S - (buffers.headNodes[0] as number));
      }

      // a static cache binds its own buffers as present.*: the graph writes the new rows into them
      const bound = cache.boundTensors();
      let fetches: Record<string, OrtTensor | null> | undefined;
      if (bound) {
        fetches = { ...this.#fetchTemplate };
        const outs = this.graph.presentNames;
        for (let i = 0; i < outs.length; i++) fetches[outs[i] as string] = float16Feedable(bound[i] as OrtTensor);
      }
      let out: Record<string, OrtTensor>;
      try {
        // no fetch list for the dynamic cache: the graph's outputs are exactly logits (+ head_logits)
        // and present.*, and onnxruntime-common validates a fetch list name by name on every run
        out = (await (fetches ? session.run(feeds, fetches) : session.run(feeds))) as Record<string, OrtTensor>;
      } catch (cause) {
        const message = errorMessage(cause);
        if (/requires f16 but the device does not support it/.test(message)) {
          throw new DynamoError(
            DynamoErrorCode.UNSUPPORTED,
            `${this.file} (${this.variant}) computes in float16, which this ${this.device} adapter cannot (no ` +
              `"shader-f16" feature): load an fp32 or q4 file (dtype: 'fp32' | 'q4') on it, or fp16 on the CPU.`,
            { details: { file: this.file, variant: this.variant, device: this.device }, cause },
          );
        }
        throw new DynamoError(
          DynamoErrorCode.RUNTIME,
          `ONNX Runtime failed running ${this.file} on ${this.device}: ${message}`,
          {
            details: { file: this.file },
            cause,
          },
        );
      }
      // bound buffers stay the cache's; only a pass's own outputs are disposed on failure
      const present = bound ? [] : this.graph.presentNames.map((n) => out[n] as OrtTensor);
      let extra: Float32Array | undefined;
      let extraRows = 0;
      let extraNode0 = -1;
      if (R > 0) {
        const head = out.head_logits as OrtTensor;
        extraRows = head.dims[2] as number;
        const exact = this.graph.hasHeadLogitsRows;
        const needed = exact ? R : S - (buffers.headNodes[0] as number);
        if (exact ? extraRows !== needed : extraRows < needed) {
          // a graph that breaks the contract: leave the cache as it was
          for (const t of present) t.dispose();
          throw new DynamoError(
            DynamoErrorCode.MODEL_FORMAT,
            `${this.file}: "head_logits" has ${extraRows} rows per head, expected ${exact ? '' : 'at least '}` +
              `${needed} (https://github.com/dynamojs/dynamojs/blob/main/docs/model-format.md).`,
            { details: { file: this.file, tensor: 'head_logits', expected: needed, actual: extraRows } },
          );
        }
        extra = head.data as Float32Array;
        if (!exact) extraNode0 = S - extraRows;
      }
      if (cache.disposed) {
        for (const t of present) t.dispose();
        throw new DynamoError(DynamoErrorCode.DISPOSED, 'The KV cache was disposed during the forward pass.');
      }
      cache.commit(present, P + S);

      const logits = out.logits as OrtTensor;
      const baseRows = logits.dims[1] as number;
      const base =
        this.graph.logitsType === 'float16'
          ? float16ToFloat32(logits.data as Uint16Array | ArrayLike<number>)
          : (logits.data as Float32Array);
      const hidden = this.graph.hiddenSize > 0 ? ((out.hidden_states as OrtTensor).data as Float32Array) : undefined;
      return new OnnxForwardResult(
        R === 0 ? 1 : 1 + E,
        K,
        R,
        buffers.headNodes.subarray(0, R),
        base,
        baseRows - K,
        extra,
        extraRows,
        extraNode0,
        this.#vocab,
        hidden,
        this.graph.hiddenSize,
      );
    } finally {
      cache.busy = false;
    }
  }

  /** Number of caches created by this model and not yet disposed. */
  get liveCaches(): number {
    return this.#caches.size;
  }

  async dispose(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    for (const cache of [...this.#caches]) cache.dispose();
    this.#session = null;
    for (const t of this.#owner.emptyPast) t.dispose();
    for (const t of this.#scalars.values()) t.dispose();
    this.#scalars.clear();
    this.#chainMask?.dispose();
    const helpers = [this.#trimSession, this.#compactSession, this.#moveSession, this.#zerosSession];
    this.#trimSession = null;
    this.#compactSession = null;
    this.#moveSession = null;
    this.#zerosSession = null;
    for (const h of helpers) if (h) await (await h.catch(() => null))?.release();
    await this.draftHead?.dispose();
    await session.release();
  }
}
