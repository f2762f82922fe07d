import { DynamoError, DynamoErrorCode, isDynamoError, throwIfAborted } from '@dynamojs/core';
import { compactModelBytes } from './compactModel.js';
import { DEVICE_NAMES, type DeviceName, errorMessage, selectDevice } from './devices.js';
import type { OnnxDraftHead } from './draftHead.js';
import { usesDynamicQuantization } from './dynamicQuantization.js';
import { readExternalData } from './externalData.js';
import { inspectGraph } from './graph.js';
import { loadDraftHead } from './loadDraftHead.js';
import type { LoaderContext, LoadOptions } from './loadOptions.js';
import { OnnxModel } from './model.js';
import { checkFile, loadError, readRequired } from './modelFiles.js';
import { resolveModel } from './resolveModel.js';
import type { OrtSession, SessionOptions } from './runtime.js';
import { cacheOnDeviceLocations, gpuBufferSessionOptions, graphSessionOptions } from './sessionOptions.js';
import { moveRowsModelBytes, staticKvGraph, zerosModelBytes } from './staticKvGraph.js';
import { trimModelBytes } from './trimModel.js';
import { checkTokenizerVocab } from './vocabCheck.js';
import { applyWasmSettings } from './wasmSettings.js';

/** Patterns of ONNX Runtime errors that mean "this file is not a valid model" rather than "this device failed". */
const MODEL_ERROR =
  /protobuf|ModelProto|parse|Load model|INVALID_GRAPH|INVALID_PROTOBUF|model_load|Unsupported model IR|opset/i;

/**
 * The runtime-agnostic loader: reads and validates the manifest (or config.json), checks sizes,
 * checksums and vocabularies, picks a device, creates the session and checks its inputs and outputs
 * against the manifest. The node and web entries call this with their runtime and file source.
 */
export async function loadWithContext(context: LoaderContext, options: LoadOptions = {}): Promise<OnnxModel> {
  const { ort, platform, source } = context;
  const requested = options.device ?? 'auto';
  if (requested !== 'auto' && !DEVICE_NAMES.includes(requested)) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      `Option "device" must be one of "auto", ${DEVICE_NAMES.map((d) => JSON.stringify(d)).join(', ')}, got ${JSON.stringify(requested)}.`,
      { details: { option: 'device', actual: requested } },
    );
  }
  const kvCache = checkKvCacheOptions(options, requested, platform.name);
  throwIfAborted(options.signal, 'model load');
  const resolved = await resolveModel(source, { ...options, device: requested });
  const { manifest, entry } = resolved;
  const file = source.locate(entry.path);
  const kvCapacity = kvCache === 'static' ? checkKvCapacity(options.kvCapacity, manifest.contextLength) : 0;
  await checkTokenizerVocab(source, manifest, resolved.tokenizerEntry, options);

  const verify = options.verifyChecksums ?? false;
  const fileBytes =
    resolved.modelBytes ??
    (await readRequired(source, entry.path, `the ${entry.role} file${entry.variant ? ` (${entry.variant})` : ''}`));
  await checkFile(source, entry, fileBytes, verify);
  // the static cache: attention whose past and present share one buffer (DYNAMO_UNSUPPORTED when it cannot)
  const bytes = kvCapacity > 0 ? staticKvGraph(fileBytes, manifest.io.cacheLayers, file).bytes : fileBytes;
  const externalData = await readExternalData(source, entry, verify, resolved.probeExternalData);
  throwIfAborted(options.signal, 'model load');
  applyWasmSettings(ort, options.wasm);

  const keepOnDevice = options.keepCacheOnDevice ?? true;
  const open = async (device: DeviceName): Promise<OrtSession> => {
    const sessionOptions: SessionOptions = graphSessionOptions(device, options, externalData);
    // a static cache binds its own GPU buffers as present.* every pass: onnxruntime-node 1.30 ignores
    // pre-allocated outputs that have a preferredOutputLocation, so none is set then
    if (device === 'webgpu' && keepOnDevice && kvCapacity === 0)
      sessionOptions.preferredOutputLocation = cacheOnDeviceLocations(manifest);
    try {
      return await ort.InferenceSession.create(bytes, sessionOptions);
    } catch (cause) {
      const reason = errorMessage(cause);
      if (MODEL_ERROR.test(reason) && !/provider|adapter|device|cuda|webgpu|vulkan/i.test(reason)) {
        throw new DynamoError(DynamoErrorCode.MODEL_FORMAT, `${file}: ONNX Runtime cannot load this model: ${reason}`, {
          details: { file },
          cause,
        });
      }
      throw cause;
    }
  };

  let chosen: Awaited<ReturnType<typeof selectDevice<OrtSession>>>;
  try {
    const probe = options.deviceProbe ?? platform.probe;
    chosen = await selectDevice(
      requested,
      platform,
      open,
      kvCapacity > 0 ? (d) => (d === 'cuda' ? STATIC_ON_CUDA : probe(d)) : probe,
      (e) => isDynamoError(e),
    );
  } catch (error) {
    if (isDynamoError(error)) throw error;
    throw loadError(`${file}: ONNX Runtime could not create a session: ${errorMessage(error)}`, file, error);
  }
  const { value: session, report } = chosen;
  let graph: ReturnType<typeof inspectGraph>;
  let draftHead: OnnxDraftHead | undefined;
  try {
    graph = inspectGraph(session, manifest, file, resolved.plainExport === true);
    if (options.draftHead) draftHead = await loadDraftHead(context, options, resolved, graph.hiddenSize, report.chosen);
  } catch (error) {
    await session.release().catch(() => {});
    throw error;
  }
  return new OnnxModel({
    ort,
    session,
    manifest,
    graph,
    device: report.chosen,
    deviceReport: report,
    file,
    variant: entry.variant ?? 'fp32',
    baseOnly: resolved.baseOnly,
    ...(draftHead && { draftHead }),
    ...(resolved.eosTokenIds && { eosTokenIds: resolved.eosTokenIds }),
    ...(resolved.positionOffset && { positionOffset: resolved.positionOffset }),
    ...(usesDynamicQuantization(bytes) && { passInvariant: false }),
    ...(report.chosen === 'webgpu' &&
      keepOnDevice &&
      kvCapacity === 0 && {
        createTrimSession: () =>
          ort.InferenceSession.create(trimModelBytes(graph.kvType), gpuBufferSessionOptions(options)),
        createCompactSession: () =>
          ort.InferenceSession.create(compactModelBytes(graph.kvType), gpuBufferSessionOptions(options)),
      }),
    ...(kvCapacity > 0 && { kvCapacity }),
    ...(kvCapacity > 0 &&
      report.chosen === 'webgpu' && {
        // its output is bound to the cache buffer itself (no preferredOutputLocation, see above)
        createMoveSession: () =>
          ort.InferenceSession.create(moveRowsModelBytes(graph.kvType), {
            executionProviders: gpuBufferSessionOptions(options).executionProviders,
          }),
        createZerosSession: () =>
          ort.InferenceSession.create(zerosModelBytes(graph.kvType), gpuBufferSessionOptions(options)),
      }),
  });
}

const STATIC_ON_CUDA =
  "kvCache 'static' is not supported on cuda (onnxruntime-node returns cuda outputs in host memory, so the " +
  'cache cannot stay in one device buffer): use webgpu, or the dynamic cache';

const STATIC_ON_WEB =
  "kvCache 'static' needs onnxruntime-node (@dynamojs/onnx/node: webgpu, cpu). onnxruntime-web 1.30 cannot " +
  'update a cache in place: its WebGPU GroupQueryAttention (JSEP) always allocates present as past + new ' +
  '(a pre-allocated present of the capacity is rejected), and its wasm backend copies CPU tensors into its ' +
  'heap for each run without writing pre-allocated outputs back. Use the dynamic cache in the browser.';

function invalid(option: string, message: string, actual: unknown, expected?: string): DynamoError {
  return new DynamoError(DynamoErrorCode.INVALID_OPTION, message, {
    details: { option, actual, ...(expected !== undefined && { expected }) },
  });
}

/** `kvCache` / `kvCapacity` / `keepCacheOnDevice` / `device` together, before anything is read. */
function checkKvCacheOptions(options: LoadOptions, device: string, platform: 'node' | 'web'): 'dynamic' | 'static' {
  const kvCache = options.kvCache ?? 'dynamic';
  if (kvCache !== 'dynamic' && kvCache !== 'static') {
    throw invalid(
      'kvCache',
      `Option "kvCache" must be "dynamic" or "static", got ${JSON.stringify(kvCache)}.`,
      kvCache,
      '"dynamic" | "static"',
    );
  }
  if (kvCache === 'dynamic' && options.kvCapacity !== undefined) {
    throw invalid(
      'kvCapacity',
      `Option "kvCapacity" (${String(options.kvCapacity)}) sizes the static KV cache: pass kvCache: 'static' with it.`,
      options.kvCapacity,
    );
  }
  if (kvCache === 'static' && options.keepCacheOnDevice === false) {
    throw invalid(
      'keepCacheOnDevice',
      "kvCache 'static' keeps the cache in one device buffer per layer; it cannot be combined with keepCacheOnDevice: false.",
      false,
    );
  }
  if (kvCache === 'static' && platform === 'web') {
    throw new DynamoError(DynamoErrorCode.UNSUPPORTED, STATIC_ON_WEB, { details: { option: 'kvCache', device } });
  }
  if (kvCache === 'static' && device === 'cuda') {
    throw new DynamoError(DynamoErrorCode.UNSUPPORTED, `${STATIC_ON_CUDA}.`, {
      details: { option: 'kvCache', device },
    });
  }
  return kvCache;
}

function checkKvCapacity(value: unknown, contextLength: number): number {
  if (value === undefined) return contextLength;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > contextLength) {
    throw invalid(
      'kvCapacity',
      `Option "kvCapacity" must be an integer in [1, ${contextLength}] (the model's context length), got ${String(value)}.`,
      value,
      `[1, ${contextLength}]`,
    );
  }
  return value;
}
