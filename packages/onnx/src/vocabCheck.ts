import { DynamoError, DynamoErrorCode, type ManifestFile, type ModelManifest } from '@dynamojs/core';
import type { LoadOptions } from './loadOptions.js';
import { checkFile, parseJsonFile } from './modelFiles.js';
import type { ModelSource } from './source.js';

/** Vocabulary size of a Hugging Face tokenizer.json: highest id + 1 over the model's vocab and added tokens. */
export function tokenizerVocabSize(json: unknown, file = 'tokenizer.json'): number {
  const bad = () =>
    new DynamoError(DynamoErrorCode.TOKENIZER_FORMAT, `${file}: no "model.vocab" found.`, { details: { file } });
  if (typeof json !== 'object' || json === null) throw bad();
  const t = json as { model?: { vocab?: unknown }; added_tokens?: { id?: unknown }[] };
  const vocab = t.model?.vocab;
  let max = -1;
  if (Array.isArray(vocab)) max = vocab.length - 1;
  else if (typeof vocab === 'object' && vocab !== null) {
    for (const id of Object.values(vocab)) if (typeof id === 'number' && id > max) max = id;
  } else throw bad();
  for (const a of t.added_tokens ?? []) if (typeof a?.id === 'number' && a.id > max) max = a.id;
  return max + 1;
}

function checkVocab(
  modelVocab: number,
  tokenizerVocab: number,
  what: string,
  allowPadding: boolean,
  file?: string,
): void {
  if (tokenizerVocab === modelVocab || (allowPadding && tokenizerVocab < modelVocab)) return;
  throw new DynamoError(
    DynamoErrorCode.VOCAB_MISMATCH,
    `${what} has ${tokenizerVocab} tokens but the model's vocabulary is ${modelVocab}` +
      (tokenizerVocab < modelVocab ? ' (pass allowVocabPadding: true if the model pads its embedding).' : '.'),
    { details: { ...(file !== undefined && { file }), expected: modelVocab, actual: tokenizerVocab } },
  );
}

/**
 * Checks the vocabulary of `options.tokenizer` and (per `options.checkTokenizerFile`) of the model's
 * tokenizer file, when the source has it, against the manifest's. DYNAMO_VOCAB_MISMATCH,
 * DYNAMO_TOKENIZER_FORMAT, or the file checks' errors.
 */
export async function checkTokenizerVocab(
  source: ModelSource,
  manifest: ModelManifest,
  tokenizerEntry: ManifestFile | undefined,
  options: LoadOptions,
): Promise<void> {
  const allowPadding = options.allowVocabPadding ?? false;
  if (options.tokenizer) checkVocab(manifest.vocabSize, options.tokenizer.vocabSize, 'The tokenizer', allowPadding);
  const checkTokenizerFile = options.checkTokenizerFile ?? source.kind !== 'url';
  if (!checkTokenizerFile || !tokenizerEntry) return;
  const bytes = await source.read(tokenizerEntry.path);
  if (!bytes) return;
  await checkFile(source, tokenizerEntry, bytes, options.verifyChecksums ?? false);
  const file = source.locate(tokenizerEntry.path);
  const json = parseJsonFile(bytes, file, DynamoErrorCode.TOKENIZER_FORMAT);
  checkVocab(manifest.vocabSize, tokenizerVocabSize(json, file), file, allowPadding, file);
}
