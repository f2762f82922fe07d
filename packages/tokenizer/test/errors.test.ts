// biome-ignore-all lint/suspicious/noExplicitAny: tests poke at untyped tokenizer.json and error objects
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoErrorCode, isDynamoError } from '@dynamojs/core';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createTokenizer, loadTokenizer } from '../src/index.js';
import { tinyTokenizerJson } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'dynamojs-tokenizer-errors-'));

function caught(fn: () => unknown): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

async function rejected(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

function expectDynamo(error: unknown, code: DynamoErrorCode, ...mentions: string[]): void {
  if (!isDynamoError(error, code)) throw new Error(`expected ${code}, got ${String(error)}`);
  for (const m of mentions) expect(error.message).toContain(m);
}

/** The tiny tokenizer.json with one change. */
function withChange(change: (json: Record<string, any>) => void): Record<string, any> {
  const json = tinyTokenizerJson();
  change(json);
  return json;
}

describe('bad input', () => {
  test('missing file → DYNAMO_IO naming the file', async () => {
    const path = join(dir, 'nope', 'tokenizer.json');
    const e = await rejected(loadTokenizer(path));
    expectDynamo(e, 'DYNAMO_IO', path, 'no such file');
    expect(e.details).toMatchObject({ file: path, errno: 'ENOENT' });
  });

  test('a directory → DYNAMO_IO', async () => {
    expectDynamo(await rejected(loadTokenizer(dir)), 'DYNAMO_IO', dir);
  });

  test('malformed JSON file → DYNAMO_TOKENIZER_FORMAT naming the file', async () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"model": {"type": "BPE", "vocab": {');
    const e = await rejected(loadTokenizer(path));
    expectDynamo(e, 'DYNAMO_TOKENIZER_FORMAT', path, 'not valid JSON');
    expect(e.details.file).toBe(path);
  });

  test('malformed JSON text and bytes', async () => {
    expectDynamo(
      caught(() => createTokenizer('{nope')),
      'DYNAMO_TOKENIZER_FORMAT',
      'not valid JSON',
    );
    expectDynamo(await rejected(loadTokenizer('{"a":')), 'DYNAMO_TOKENIZER_FORMAT', 'not valid JSON');
    expectDynamo(await rejected(loadTokenizer(new Uint8Array([0x7b, 0xff, 0x7d]))), 'DYNAMO_TOKENIZER_FORMAT', 'UTF-8');
  });

  test('not an object', () => {
    for (const v of ['[]', '42', 'null', '"text"']) {
      expectDynamo(
        caught(() => createTokenizer(v)),
        'DYNAMO_TOKENIZER_FORMAT',
        'JSON object',
      );
      expectDynamo(
        caught(() => createTokenizer(JSON.parse(v))),
        'DYNAMO_TOKENIZER_FORMAT',
      );
    }
  });

  test.each<[string, (j: Record<string, any>) => void, string]>([
    ['no model', (j) => delete j.model, 'model'],
    ['WordPiece model', (j) => (j.model.type = 'WordPiece'), 'model.type'],
    ['Unigram model', (j) => (j.model = { type: 'Unigram', vocab: [['a', -1]] }), 'model.type'],
    ['vocab not an object', (j) => (j.model.vocab = ['a', 'b']), 'model.vocab'],
    ['bad vocab id', (j) => (j.model.vocab.hello = -3), 'model.vocab["hello"]'],
    ['fractional vocab id', (j) => (j.model.vocab.hello = 1.5), 'model.vocab["hello"]'],
    ['huge vocab id', (j) => (j.model.vocab.hello = 2 ** 31 - 1), 'model.vocab["hello"]'],
    ['huge added token id', (j) => (j.added_tokens[0].id = 2 ** 30), 'added_tokens[0].id'],
    [
      'empty vocab',
      (j) => {
        j.model.vocab = {};
        j.model.merges = [];
        j.added_tokens = [];
      },
      'model.vocab',
    ],
    ['merges missing', (j) => delete j.model.merges, 'model.merges'],
    ['bad merge string', (j) => (j.model.merges[3] = 'nospace'), 'model.merges[3]'],
    ['bad merge pair', (j) => (j.model.merges[2] = ['a', 1]), 'model.merges[2]'],
    ['BPE dropout', (j) => (j.model.dropout = 0.1), 'model.dropout'],
    ['end_of_word_suffix', (j) => (j.model.end_of_word_suffix = '</w>'), 'model.end_of_word_suffix'],
    ['WordPiece decoder', (j) => (j.decoder = { type: 'WordPiece', prefix: '##' }), 'decoder'],
    ['no decoder', (j) => (j.decoder = null), 'decoder'],
    ['Whitespace pre-tokenizer', (j) => (j.pre_tokenizer = { type: 'Whitespace' }), 'pre_tokenizer'],
    ['unknown normalizer', (j) => (j.normalizer = { type: 'Frobnicate' }), 'normalizer'],
    ['normalizer not an object', (j) => (j.normalizer = 'NFC'), 'normalizer'],
    ['unknown post-processor', (j) => (j.post_processor = { type: 'Frobnicate' }), 'post_processor'],
    ['added_tokens not an array', (j) => (j.added_tokens = {}), 'added_tokens'],
    ['added token without id', (j) => delete j.added_tokens[1].id, 'added_tokens[1].id'],
    ['added token with empty content', (j) => (j.added_tokens[0].content = ''), 'added_tokens[0].content'],
  ])('%s → DYNAMO_TOKENIZER_FORMAT naming %s', (_, change, field) => {
    const e = caught(() => createTokenizer(withChange(change), { name: 'my/tokenizer.json' }));
    expectDynamo(e, 'DYNAMO_TOKENIZER_FORMAT', 'my/tokenizer.json', field);
    expect(e.details.file).toBe('my/tokenizer.json');
    expect(e.details.field).toBe(field);
  });

  test('token ids out of range → DYNAMO_TOKEN_OUT_OF_RANGE naming the id', () => {
    const tok = createTokenizer(tinyTokenizerJson(), { name: 'tiny.json' });
    expect(tok.vocabSize).toBe(303);
    for (const [ids, id, index, words] of [
      [[104, 303], 303, 1, 'outside the vocabulary'],
      [[-1], -1, 0, 'outside the vocabulary'],
      [[0, 1, 2.5], 2.5, 2, 'outside the vocabulary'],
      [[280], 280, 0, 'has no token'], // a hole between the merges and the added tokens
    ] as const) {
      const e = caught(() => tok.decode(ids));
      expectDynamo(e, 'DYNAMO_TOKEN_OUT_OF_RANGE', String(id), words, 'tiny.json');
      expect(e.details).toMatchObject({ id, index, vocabSize: 303 });
      expectDynamo(
        caught(() => tok.createDecoder().push(ids)),
        'DYNAMO_TOKEN_OUT_OF_RANGE',
      );
    }
    expectDynamo(
      caught(() => tok.tokenBytes(999)),
      'DYNAMO_TOKEN_OUT_OF_RANGE',
      '999',
    );
    expectDynamo(
      caught(() => tok.decode(['7' as unknown as number])),
      'DYNAMO_TOKEN_OUT_OF_RANGE',
    );
    expect(tok.idToToken(280)).toBeUndefined();
    expect(tok.idToToken(-1)).toBeUndefined();
  });

  test('special-token overrides must be ids of the tokenizer', () => {
    for (const eos of [303, -1, 280, 1.5]) {
      const e = caught(() => createTokenizer(tinyTokenizerJson(), { specialTokens: { eos } }));
      expectDynamo(e, 'DYNAMO_TOKEN_OUT_OF_RANGE', 'specialTokens.eos');
      expect(e.details.field).toBe('specialTokens.eos');
    }
  });

  test('tokenizer_config naming a token that does not exist', () => {
    const e = caught(() => createTokenizer(tinyTokenizerJson(), { tokenizerConfig: { eos_token: '</s>' } }));
    expectDynamo(e, 'DYNAMO_TOKENIZER_FORMAT', 'eos_token', '</s>');
  });

  test('encode of a non-string → DYNAMO_INVALID_OPTION', () => {
    const tok = createTokenizer(tinyTokenizerJson());
    expectDynamo(
      caught(() => tok.encode(42 as unknown as string)),
      'DYNAMO_INVALID_OPTION',
      'string',
    );
  });

  test('loadTokenizer of nonsense → DYNAMO_INVALID_OPTION', async () => {
    expectDynamo(await rejected(loadTokenizer(42 as never)), 'DYNAMO_INVALID_OPTION');
    expectDynamo(await rejected(loadTokenizer(null as never)), 'DYNAMO_INVALID_OPTION');
  });

  test('fuzz: any JSON value as tokenizer.json → loads or DYNAMO_TOKENIZER_FORMAT, never a crash', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          createTokenizer(value as never);
        } catch (e) {
          expect(isDynamoError(e, 'DYNAMO_TOKENIZER_FORMAT')).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('fuzz: any field replaced by any value → a working tokenizer or a typed error', () => {
    const paths = [
      ['added_tokens'],
      ['added_tokens', 0],
      ['added_tokens', 0, 'special'],
      ['normalizer'],
      ['normalizer', 'type'],
      ['pre_tokenizer'],
      ['pre_tokenizer', 'add_prefix_space'],
      ['pre_tokenizer', 'use_regex'],
      ['post_processor'],
      ['decoder'],
      ['model'],
      ['model', 'type'],
      ['model', 'vocab'],
      ['model', 'vocab', 'h'],
      ['model', 'merges'],
      ['model', 'merges', 0],
      ['model', 'unk_token'],
      ['model', 'byte_fallback'],
      ['model', 'ignore_merges'],
    ] as const;
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 2 }), fc.string(), (path, value, text) => {
        const json = tinyTokenizerJson();
        let node: any = json;
        for (const key of path.slice(0, -1)) node = node[key];
        node[path[path.length - 1]!] = value;
        try {
          const tok = createTokenizer(json);
          const ids = tok.encode(text);
          tok.decode(ids);
          tok.createDecoder().push(ids);
          void tok.hash;
        } catch (e) {
          if (!isDynamoError(e)) throw e;
        }
      }),
      { numRuns: 500 },
    );
  });
});
