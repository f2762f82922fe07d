import { DynamoError, DynamoErrorCode, type SpecialTokenIds } from '@dynamojs/core';
import { formatError } from './tokenizerJson.js';

/** Token strings tried, in order, when neither the caller nor tokenizer_config.json names a special token. */
export const SPECIAL_TOKEN_CANDIDATES: Readonly<Record<keyof SpecialTokenIds, readonly string[]>> = {
  eos: ['<|endoftext|>', '</s>', '<|end_of_text|>', '<eos>', '<|eos|>'],
  // GPT-2 and GPT-NeoX/Pythia use <|endoftext|> as bos too (their configs say so).
  bos: ['<|begin_of_text|>', '<s>', '<bos>', '<|startoftext|>', '<|bos|>', '<|endoftext|>'],
  pad: ['<|padding|>', '<pad>', '[PAD]', '<|pad|>'],
};

const KEYS = ['eos', 'bos', 'pad'] as const;

function configTokenName(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

/**
 * eos/bos/pad ids, from (highest priority first) `overrides` (e.g. a model manifest's
 * `specialTokens`), `tokenizerConfig` (tokenizer_config.json's `eos_token`, `bos_token`,
 * `pad_token`), then the well-known token strings in {@link SPECIAL_TOKEN_CANDIDATES}.
 */
export function resolveSpecialTokens(
  tokenToId: (token: string) => number | undefined,
  isValidId: (id: number) => boolean,
  file: string,
  tokenizerConfig: Readonly<Record<string, unknown>> | undefined,
  overrides: Partial<SpecialTokenIds> | undefined,
): SpecialTokenIds {
  const result: { eos?: number; bos?: number; pad?: number } = {};
  for (const key of KEYS) {
    const override = overrides?.[key];
    if (override !== undefined && override !== null) {
      if (typeof override !== 'number' || !Number.isInteger(override) || !isValidId(override)) {
        throw new DynamoError(
          DynamoErrorCode.TOKEN_OUT_OF_RANGE,
          `specialTokens.${key} = ${String(override)} is not a token id of ${file}.`,
          { details: { file, field: `specialTokens.${key}`, id: override } },
        );
      }
      result[key] = override;
      continue;
    }
    const configValue = tokenizerConfig?.[`${key}_token`];
    const named = configTokenName(configValue);
    if (named !== undefined) {
      const id = tokenToId(named);
      if (id === undefined) {
        formatError(
          'tokenizer_config.json',
          `${key}_token`,
          `names ${JSON.stringify(named)}, which is not in ${file}.`,
        );
      }
      result[key] = id;
      continue;
    }
    if (configValue === null) continue; // explicitly "none"
    for (const candidate of SPECIAL_TOKEN_CANDIDATES[key]) {
      const id = tokenToId(candidate);
      if (id !== undefined) {
        result[key] = id;
        break;
      }
    }
  }
  return result;
}
