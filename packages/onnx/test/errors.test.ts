import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DynamoErrorCode, isDynamoError } from '@dynamojs/core';
import { inspectGraph } from '@dynamojs/onnx';
import { loadModel } from '@dynamojs/onnx/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE, RUNTIMES, tokens } from './helpers.js';

const read = (p: string) => new Uint8Array(readFileSync(join(FIXTURE, p)));
const manifestJson = () => JSON.parse(readFileSync(join(FIXTURE, 'dynamo.json'), 'utf8'));

function files(overrides: Record<string, Uint8Array | string | undefined> = {}): Record<string, Uint8Array | string> {
  const all: Record<string, Uint8Array | string | undefined> = {
    'dynamo.json': JSON.stringify(manifestJson()),
    'tokenizer.json': read('tokenizer.json'),
    'model.onnx': read('model.onnx'),
    'model_q8.onnx': read('model_q8.onnx'),
    'base/onnx/model.onnx': read('base/onnx/model.onnx'),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as Record<
    string,
    Uint8Array | string
  >;
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: DynamoErrorCode, ...fragments: string[]) {
  let error: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    error = e;
  }
  expect(isDynamoError(error), `expected a DynamoError ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code, (error as Error).message).toBe(code);
  for (const f of fragments) expect((error as Error).message).toContain(f);
  return error as Error & { details: Record<string, unknown> };
}

// biome-ignore lint/suspicious/noExplicitAny: edits of a parsed JSON fixture
function withManifest(edit: (m: Record<string, any>) => void) {
  const m = manifestJson();
  edit(m);
  return files({ 'dynamo.json': JSON.stringify(m) });
}

describe('loading errors', () => {
  it('truncated model file (size recorded) → DYNAMO_MODEL_FORMAT naming the file', async () => {
    const e = await expectCode(
      loadModel(files({ 'model.onnx': read('model.onnx').subarray(0, 5000) }), { device: 'cpu' }),
      'DYNAMO_MODEL_FORMAT',
      'model.onnx',
      'truncated',
    );
    expect(e.details.file).toBe('model.onnx');
  });

  it('truncated model file (no size recorded) → DYNAMO_MODEL_FORMAT from the runtime', async () => {
    const m = manifestJson();
    for (const f of m.files) delete f.bytes;
    const buf = files({ 'dynamo.json': JSON.stringify(m), 'model.onnx': read('model.onnx').subarray(0, 5000) });
    await expectCode(loadModel(buf, { device: 'cpu' }), 'DYNAMO_MODEL_FORMAT', 'model.onnx');
  });

  it('wrong manifest version → DYNAMO_MODEL_FORMAT', async () => {
    await expectCode(
      loadModel(
        withManifest((m) => (m.formatVersion = 2)),
        { device: 'cpu' },
      ),
      'DYNAMO_MODEL_FORMAT',
      'formatVersion',
    );
  });

  it('checksum mismatch → DYNAMO_CHECKSUM_MISMATCH only when verifying', async () => {
    const buf = withManifest((m) => (m.files[0].sha256 = '0'.repeat(64)));
    await expectCode(
      loadModel(buf, { device: 'cpu', verifyChecksums: true }),
      'DYNAMO_CHECKSUM_MISMATCH',
      'model.onnx',
    );
    const ok = await loadModel(buf, { device: 'cpu' });
    await ok.dispose();
    const verified = await loadModel(files(), { device: 'cpu', verifyChecksums: true });
    await verified.dispose();
  });

  it('missing model file → DYNAMO_MODEL_LOAD; no manifest or config → DYNAMO_MODEL_LOAD', async () => {
    await expectCode(
      loadModel(files({ 'model.onnx': undefined }), { device: 'cpu' }),
      'DYNAMO_MODEL_LOAD',
      'model.onnx',
    );
    await expectCode(
      loadModel({ 'model.onnx': read('model.onnx') }, { device: 'cpu' }),
      'DYNAMO_MODEL_LOAD',
      'dynamo.json',
    );
  });

  it('unknown variant → DYNAMO_INVALID_OPTION listing the variants', async () => {
    await expectCode(loadModel(files(), { device: 'cpu', variant: 'q4' }), 'DYNAMO_INVALID_OPTION', '"fp32", "q8"');
  });

  it('graph/manifest disagreement → DYNAMO_MODEL_FORMAT naming tensor and expected shape', async () => {
    // more heads than the graph has: a missing cache input
    await expectCode(
      loadModel(
        withManifest((m) => {
          m.heads = 4;
          m.architecture.headLayers = 3;
          m.io.cacheLayers = 5;
        }),
        { device: 'cpu' },
      ),
      'DYNAMO_MODEL_FORMAT',
      'past_key_values.4.key',
    );
    // wrong attention-head count: shape check from the runtime's metadata
    await expectCode(
      loadModel(
        withManifest((m) => (m.architecture.attentionHeads = 4)),
        { device: 'cpu' },
      ),
      'DYNAMO_MODEL_FORMAT',
      'past_key_values.0.key',
      '[batch, 4, past_sequence, 16]',
    );
    // wrong vocabulary size: logits shape (tokenizer check off)
    await expectCode(
      loadModel(
        withManifest((m) => (m.vocabSize = 100)),
        { device: 'cpu', checkTokenizerFile: false },
      ),
      'DYNAMO_MODEL_FORMAT',
      '"logits"',
      '[batch, kept_positions, 100]',
    );
    // the base graph under a multi-head manifest
    await expectCode(
      loadModel(
        files({
          'model.onnx': read('base/onnx/model.onnx'),
          'dynamo.json': JSON.stringify({ ...manifestJson(), files: [{ role: 'model', path: 'model.onnx' }] }),
        }),
        { device: 'cpu' },
      ),
      'DYNAMO_MODEL_FORMAT',
      'past_key_values.2.key',
    );
  });

  it('inspectGraph: missing output, wrong head_logits shape, wrong dtype', () => {
    const manifest = {
      ...manifestJson(),
      specialTokens: {},
      io: { cacheLayers: 4, numLogitsToKeep: true, numHeadLogitsToKeep: true },
    };
    const inputNames = ['input_ids', 'attention_mask', 'position_ids', 'num_logits_to_keep', 'num_head_logits_to_keep'];
    const outputNames = ['logits', 'head_logits'];
    for (let i = 0; i < 4; i++) {
      inputNames.push(`past_key_values.${i}.key`, `past_key_values.${i}.value`);
      outputNames.push(`present.${i}.key`, `present.${i}.value`);
    }
    const ok = inspectGraph({ inputNames, outputNames }, manifest, 'm.onnx');
    expect(ok.extraHeads).toBe(2);
    expect(() =>
      inspectGraph({ inputNames, outputNames: outputNames.filter((n) => n !== 'head_logits') }, manifest, 'm.onnx'),
    ).toThrow(/no output "head_logits" \(expected \[batch, 2, kept_positions, 96\]/);
    expect(() =>
      inspectGraph(
        { inputNames: inputNames.filter((n) => n !== 'num_logits_to_keep'), outputNames },
        manifest,
        'm.onnx',
      ),
    ).toThrow(/num_logits_to_keep/);
    const meta = (name: string, type: string, shape: (number | string)[]) => ({
      name,
      isTensor: true as const,
      type,
      shape,
    });
    expect(() =>
      inspectGraph(
        { inputNames, outputNames, outputMetadata: [meta('head_logits', 'float32', ['b', 3, 'k', 96])] as never },
        manifest,
        'm.onnx',
      ),
    ).toThrow(/head_logits.*expected \[batch, 2, kept_positions, 96\]/);
    expect(() =>
      inspectGraph(
        { inputNames, outputNames, inputMetadata: [meta('input_ids', 'int32', ['b', 's'])] as never },
        manifest,
        'm.onnx',
      ),
    ).toThrow(/int64/);
    // older merged decoders' use_cache_branch is fed (hub-exports.test.ts); any other unknown input is an error
    expect(
      inspectGraph({ inputNames: [...inputNames, 'use_cache_branch'], outputNames }, manifest, 'm.onnx')
        .hasUseCacheBranch,
    ).toBe(true);
    expect(() =>
      inspectGraph({ inputNames: [...inputNames, 'token_type_ids'], outputNames }, manifest, 'm.onnx'),
    ).toThrow(/unexpected graph input "token_type_ids"/);
  });

  it('tokenizer vocabulary ≠ model vocabulary → DYNAMO_VOCAB_MISMATCH', async () => {
    await expectCode(
      loadModel(files(), { device: 'cpu', tokenizer: { vocabSize: 50 } }),
      'DYNAMO_VOCAB_MISMATCH',
      '50',
      '96',
    );
    const tok = JSON.parse(readFileSync(join(FIXTURE, 'tokenizer.json'), 'utf8'));
    tok.added_tokens.push({ id: 96, content: '<extra>', special: true });
    const m = manifestJson();
    for (const f of m.files) delete f.bytes;
    await expectCode(
      loadModel(files({ 'tokenizer.json': JSON.stringify(tok), 'dynamo.json': JSON.stringify(m) }), { device: 'cpu' }),
      'DYNAMO_VOCAB_MISMATCH',
      'tokenizer.json',
      '97',
    );
    // a smaller tokenizer is accepted with allowVocabPadding
    const ok = await loadModel(files(), { device: 'cpu', tokenizer: { vocabSize: 90 }, allowVocabPadding: true });
    await ok.dispose();
  });

  it('bad device name → DYNAMO_INVALID_OPTION', async () => {
    await expectCode(loadModel(files(), { device: 'tpu' as never }), 'DYNAMO_INVALID_OPTION', 'device');
  });
});

describe.each(RUNTIMES)('forward errors ($name)', (runtime) => {
  let model: Awaited<ReturnType<typeof runtime.load>>;
  beforeAll(async () => {
    model = await runtime.load(FIXTURE);
  });
  afterAll(async () => {
    await model.dispose();
  });

  it('token ids outside the vocabulary → DYNAMO_TOKEN_OUT_OF_RANGE; empty chunk → DYNAMO_INVALID_OPTION', async () => {
    const cache = model.createCache();
    await expectCode(model.forward([1, 96], cache), 'DYNAMO_TOKEN_OUT_OF_RANGE', '96');
    await expectCode(model.forward([-1], cache), 'DYNAMO_TOKEN_OUT_OF_RANGE');
    await expectCode(model.forward([1.5], cache), 'DYNAMO_TOKEN_OUT_OF_RANGE');
    await expectCode(model.forward([], cache), 'DYNAMO_INVALID_OPTION');
    expect(cache.length).toBe(0);
    cache.dispose();
  });

  it('bad positions → DYNAMO_INVALID_OPTION; bad logits(head, index) → DYNAMO_INVALID_OPTION', async () => {
    const cache = model.createCache();
    await expectCode(model.forward([1, 2], cache, { positions: 3 }), 'DYNAMO_INVALID_OPTION', 'positions');
    await expectCode(model.forward([1, 2], cache, { headPositions: 0 }), 'DYNAMO_INVALID_OPTION', 'headPositions');
    const r = await model.forward([1, 2], cache);
    await expectCode(() => r.logits(3), 'DYNAMO_INVALID_OPTION', 'head');
    await expectCode(() => r.logits(0, 1), 'DYNAMO_INVALID_OPTION', 'index');
    const none = await model.forward([3], cache, { headPositions: 'none' });
    await expectCode(() => none.logits(1), 'DYNAMO_INVALID_OPTION', 'skipped');
    cache.dispose();
  });

  it('context overflow → DYNAMO_CONTEXT_OVERFLOW, cache unchanged', async () => {
    const ctx = model.metadata.contextLength;
    const cache = model.createCache();
    await expectCode(model.forward(tokens(ctx + 1, 96), cache), 'DYNAMO_CONTEXT_OVERFLOW', String(ctx));
    await model.forward(tokens(ctx - 1, 96), cache);
    await model.forward([5], cache);
    expect(cache.length).toBe(ctx);
    await expectCode(model.forward([5], cache), 'DYNAMO_CONTEXT_OVERFLOW');
    expect(cache.length).toBe(ctx);
    cache.trim(ctx - 2);
    await model.forward([5, 6], cache);
    cache.dispose();
  });

  it('trim out of range → DYNAMO_CACHE_STATE', async () => {
    const cache = model.createCache();
    await model.forward([1, 2, 3], cache);
    await expectCode(() => cache.trim(4), 'DYNAMO_CACHE_STATE', '[0, 3]');
    await expectCode(() => cache.trim(-1), 'DYNAMO_CACHE_STATE');
    await expectCode(() => cache.trim(1.5), 'DYNAMO_CACHE_STATE');
    expect(cache.length).toBe(3);
    cache.dispose();
  });

  it('a cache from another model, or not from a model → DYNAMO_CACHE_STATE', async () => {
    const other = await runtime.load(FIXTURE);
    const foreign = other.createCache();
    await expectCode(model.forward([1], foreign), 'DYNAMO_CACHE_STATE', 'not created by');
    const fake = { length: 0, disposed: false, trim() {}, compact() {}, dispose() {} };
    await expectCode(model.forward([1], fake), 'DYNAMO_CACHE_STATE');
    await other.dispose();
  });

  it('a second forward on a busy cache → DYNAMO_CACHE_STATE', async () => {
    const cache = model.createCache();
    const first = model.forward([1, 2], cache);
    await expectCode(model.forward([3], cache), 'DYNAMO_CACHE_STATE', 'already running');
    await first;
    expect(cache.length).toBe(2);
    cache.dispose();
  });

  it('an aborted signal → DYNAMO_ABORTED before the run, cache unchanged', async () => {
    const cache = model.createCache();
    await model.forward([1, 2], cache);
    const ac = new AbortController();
    ac.abort(new Error('user'));
    await expectCode(model.forward([3], cache, { signal: ac.signal }), 'DYNAMO_ABORTED');
    expect(cache.length).toBe(2);
    cache.dispose();
  });

  it('use after dispose → DYNAMO_DISPOSED (cache, and model with its caches)', async () => {
    const m2 = await runtime.load(FIXTURE);
    const cache = m2.createCache();
    await m2.forward([1, 2], cache);
    const kept = m2.createCache();
    cache.dispose();
    cache.dispose(); // idempotent
    expect(cache.disposed).toBe(true);
    await expectCode(m2.forward([3], cache), 'DYNAMO_DISPOSED');
    await expectCode(() => cache.trim(0), 'DYNAMO_DISPOSED');
    expect(m2.liveCaches).toBe(1);
    await m2.dispose();
    await m2.dispose(); // idempotent
    expect(kept.disposed).toBe(true);
    expect(m2.liveCaches).toBe(0);
    await expectCode(m2.forward([3], kept), 'DYNAMO_DISPOSED');
    await expectCode(() => m2.createCache(), 'DYNAMO_DISPOSED');
  });
});
