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
  throwIfAborted(options.signal, 'model load');
  const resolved = await resolveModel(source, { ...options, device: requested });
  const { manifest, entry } = resolved;
  const file = source.locate(entry.path);
  await checkTokenizerVocab(source, manifest, resolved.tokenizerEntry, options);

  const verify = options.verifyChecksums ?? false;
  const bytes =
    resolved.modelBytes ??
    (await readRequired(source, entry.path, `the ${entry.role} file${entry.variant ? ` (${entry.variant})` : ''}`));
  await checkFile(source, entry, bytes, verify);
  const externalData = await readExternalData(source, entry, verify, resolved.probeExternalData);
  throwIfAborted(options.signal, 'model load');
  applyWasmSettings(ort, options.wasm);

  const keepOnDevice = options.keepCacheOnDevice ?? true;
  const open = async (device: DeviceName): Promise<OrtSession> => {
    const sessionOptions: SessionOptions = graphSessionOptions(device, options, externalData);
    if (device === 'webgpu' && keepOnDevice) sessionOptions.preferredOutputLocation = cacheOnDeviceLocations(manifest);
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
    chosen = await selectDevice(requested, platform, open, options.deviceProbe ?? platform.probe, (e) =>
      isDynamoError(e),
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
      keepOnDevice && {
        createTrimSession: () =>
          ort.InferenceSession.create(trimModelBytes(graph.kvType), gpuBufferSessionOptions(options)),
        createCompactSession: () =>
          ort.InferenceSession.create(compactModelBytes(graph.kvType), gpuBufferSessionOptions(options)),
      }),
  });
}
