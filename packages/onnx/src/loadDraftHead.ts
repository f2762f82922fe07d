import { DynamoError, DynamoErrorCode, throwIfAborted } from '@dynamojs/core';
import { type DeviceName, errorMessage } from './devices.js';
import { inspectDraftHeadGraph, OnnxDraftHead } from './draftHead.js';
import { readExternalData } from './externalData.js';
import type { LoaderContext, LoadOptions } from './loadOptions.js';
import { checkFile, loadError, readRequired } from './modelFiles.js';
import type { ResolvedModel } from './resolveModel.js';
import type { OrtSession } from './runtime.js';
import { graphSessionOptions } from './sessionOptions.js';

/** Opens the manifest's draft-head graph on the device the model landed on, and checks it. */
export async function loadDraftHead(
  context: LoaderContext,
  options: LoadOptions,
  resolved: ResolvedModel,
  hiddenSize: number,
  device: DeviceName,
): Promise<OnnxDraftHead> {
  const { ort, source } = context;
  const { manifest } = resolved;
  const entry = resolved.draftEntry;
  if (!entry) {
    throw loadError(
      `${source.locate('dynamo.json')} lists no draft-head file, so the model cannot be loaded with draftHead: true.`,
      source.locate('dynamo.json'),
    );
  }
  const file = source.locate(entry.path);
  if (hiddenSize === 0) {
    throw new DynamoError(
      DynamoErrorCode.MODEL_FORMAT,
      `${source.locate(resolved.entry.path)} has no "hidden_states" output, which the draft head ${file} reads ` +
        '(load the graph that has it, e.g. baseOnly: true for model-tiny; https://github.com/dynamojs/dynamojs/blob/main/docs/model-format.md).',
      { details: { file: source.locate(resolved.entry.path), tensor: 'hidden_states', actual: 'missing' } },
    );
  }
  const verify = options.verifyChecksums ?? false;
  const bytes = await readRequired(source, entry.path, 'the draft-head file');
  await checkFile(source, entry, bytes, verify);
  const externalData = await readExternalData(source, entry, verify);
  throwIfAborted(options.signal, 'model load');
  let session: OrtSession;
  try {
    session = await ort.InferenceSession.create(bytes, graphSessionOptions(device, options, externalData));
  } catch (cause) {
    throw loadError(
      `${file}: ONNX Runtime could not create the draft head's session on ${device}: ${errorMessage(cause)}`,
      file,
      cause,
    );
  }
  try {
    inspectDraftHeadGraph(session, hiddenSize, manifest.vocabSize, file);
  } catch (error) {
    await session.release().catch(() => {});
    throw error;
  }
  return new OnnxDraftHead(ort, session, hiddenSize, manifest.vocabSize, file);
}
