import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bufferSource, sha256Hex, tokenizerVocabSize } from '@dynamojs/onnx';
import { loadModel } from '@dynamojs/onnx/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE, maxAbsDiff } from './helpers.js';

describe('model sources', () => {
  let server: Server;
  let base = '';
  const requests: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).slice(1);
      requests.push(path);
      const file = join(FIXTURE, path);
      if (path.startsWith('..') || !existsSync(file)) {
        res.writeHead(404);
        return res.end();
      }
      res.writeHead(200);
      res.end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('a folder path, a file: URL, an http URL and buffers give the same model', async () => {
    const files = Object.fromEntries(
      ['dynamo.json', 'tokenizer.json', 'model.onnx'].map((f) => [f, new Uint8Array(readFileSync(join(FIXTURE, f)))]),
    );
    const models = [
      await loadModel(FIXTURE, { device: 'cpu' }),
      await loadModel(pathToFileURL(`${FIXTURE}/`), { device: 'cpu' }),
      await loadModel(`${base}/`, { device: 'cpu', verifyChecksums: true }),
      await loadModel(files, { device: 'cpu' }),
      await loadModel(bufferSource(files), { device: 'cpu' }),
    ];
    expect(models[2]?.file).toBe(`${base}/model.onnx`);
    // URLs: the tokenizer is not downloaded just to count its vocabulary
    expect(requests).not.toContain('tokenizer.json');
    const outs: Float32Array[] = [];
    for (const m of models) {
      const r = await m.forward([1, 2, 3], m.createCache());
      outs.push(r.logits(2).slice());
      await m.dispose();
    }
    for (const o of outs) expect(maxAbsDiff(o, outs[0] as Float32Array)).toBe(0);
  });

  it('a missing file over http → DYNAMO_MODEL_LOAD naming the URL', async () => {
    await expect(loadModel(`${base}/nowhere/`, { device: 'cpu' })).rejects.toMatchObject({
      code: 'DYNAMO_MODEL_LOAD',
    });
    const q8 = await loadModel(`${base}/`, { device: 'cpu', variant: 'q8', verifyChecksums: true });
    expect(q8.file).toBe(`${base}/model_q8.onnx`);
    await q8.dispose();
  });

  it('helpers: sha256Hex, tokenizerVocabSize', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(tokenizerVocabSize({ model: { vocab: { a: 0, b: 5 } }, added_tokens: [{ id: 7 }] })).toBe(8);
    expect(
      tokenizerVocabSize({
        model: {
          vocab: [
            ['a', 0],
            ['b', 0],
          ],
        },
      }),
    ).toBe(2);
    expect(() => tokenizerVocabSize({})).toThrow(/model.vocab/);
  });
});
