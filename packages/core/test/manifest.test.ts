import { isDynamoError, parseManifest } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';

const good = {
  format: 'dynamo-model',
  formatVersion: 1,
  name: 'test-t3',
  heads: 3,
  vocabSize: 100,
  contextLength: 64,
  specialTokens: { eos: 0 },
  architecture: { type: 'gpt-neox-dynamo', layers: 4, headLayers: 2, hiddenSize: 32, attentionHeads: 4, headDim: 8 },
  io: { cacheLayers: 6, numLogitsToKeep: true },
  files: [{ role: 'model', variant: 'fp32', path: 'model.onnx', sha256: 'a'.repeat(64), bytes: 10 }],
  decoding: { topK: 50 },
};

function fieldOf(input: unknown): string | undefined {
  try {
    parseManifest(input);
  } catch (e) {
    if (!isDynamoError(e, 'DYNAMO_MODEL_FORMAT')) throw e;
    return String(e.details.field);
  }
  return undefined;
}

describe('parseManifest', () => {
  it('accepts a valid manifest, from an object or text', () => {
    const m = parseManifest(good);
    expect(m.heads).toBe(3);
    expect(m.specialTokens.eos).toBe(0);
    expect(m.files[0]?.sha256).toBe('a'.repeat(64));
    expect(parseManifest(JSON.stringify(good)).name).toBe('test-t3');
  });

  it('names the field that is wrong', () => {
    expect(fieldOf({ ...good, formatVersion: 2 })).toBe('formatVersion');
    expect(fieldOf({ ...good, format: 'other' })).toBe('format');
    expect(fieldOf({ ...good, heads: 0 })).toBe('heads');
    expect(fieldOf({ ...good, vocabSize: 1.5 })).toBe('vocabSize');
    expect(fieldOf({ ...good, specialTokens: { eos: 100 } })).toBe('specialTokens.eos');
    expect(fieldOf({ ...good, architecture: { ...good.architecture, headLayers: 1 } })).toBe('architecture.headLayers');
    expect(fieldOf({ ...good, io: { cacheLayers: 5 } })).toBe('io.cacheLayers');
    expect(fieldOf({ ...good, files: [] })).toBe('files');
    expect(fieldOf({ ...good, files: [{ role: 'model', path: '../x.onnx' }] })).toBe('files[0].path');
    expect(fieldOf({ ...good, files: [{ role: 'model', path: 'm.onnx', sha256: 'xyz' }] })).toBe('files[0].sha256');
    expect(fieldOf({ ...good, files: [{ role: 'tokenizer', path: 't.json' }] })).toBe('files');
    expect(fieldOf('{ not json')).toBe('undefined');
    expect(fieldOf([])).toBe('(root)');
    expect(fieldOf({ ...good, io: { cacheLayers: 6, treeAttention: 'yes' } })).toBe('io.treeAttention');
    expect(fieldOf({ ...good, io: { cacheLayers: 6, numLogitsToKeep: 1 } })).toBe('io.numLogitsToKeep');
    expect(fieldOf({ ...good, io: { cacheLayers: 6, headLogitsRows: 'true' } })).toBe('io.headLogitsRows');
    expect(fieldOf({ ...good, files: [{ role: 'model', path: 'm.onnx', default: 1 }] })).toBe('files[0].default');
  });

  it('reads files[].default, at most one per role', () => {
    const files = [
      { role: 'model', variant: 'fp32', path: 'model.onnx' },
      { role: 'model', variant: 'mixed', path: 'model_mixed.onnx', default: true },
      { role: 'base-model', variant: 'fp32', path: 'base/onnx/model.onnx', default: true },
    ];
    const m = parseManifest({ ...good, files });
    expect(m.files.map((f) => f.default)).toEqual([undefined, true, true]);
    const twice = [...files, { role: 'model', variant: 'q8', path: 'model_q8.onnx', default: true }];
    expect(fieldOf({ ...good, files: twice })).toBe('files[3].default');
    expect(() => parseManifest({ ...good, files: twice })).toThrow(/files\[1\] is already the default "model" file/);
  });

  it('reads the io flags (treeAttention next to numLogitsToKeep)', () => {
    const m = parseManifest({
      ...good,
      io: { cacheLayers: 6, numLogitsToKeep: true, headLogitsRows: true, treeAttention: true },
    });
    expect(m.io).toEqual({ cacheLayers: 6, numLogitsToKeep: true, headLogitsRows: true, treeAttention: true });
    expect(parseManifest(good).io.treeAttention).toBeUndefined();
  });
});
