// The provider behind an HTTP server under load (bench/generationServer.mjs on 127.0.0.1, the
// bundled model on the CPU): 8 and 32 concurrent streaming requests with random client aborts, every
// completed output identical to the same request run alone; aborted requests release their KV caches
// and their slot; malformed requests get 4xx answers and break nothing; RSS stays flat over a short
// soak. The longer soak, latency percentiles and throughput are in bench/serverLoad.bench.mjs.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { OnnxModel } from '@dynamojs/onnx';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGenerationServer } from '../bench/generationServer.mjs';
import { createDynamojs, type DynamojsProvider } from '../src/node.js';
import { queueForTesting } from './queueAccess.js';

// biome-ignore lint/suspicious/noExplicitAny: the AI SDK's warning switch
(globalThis as any).AI_SDK_LOG_WARNINGS = false;

const PROMPTS = [
  'The meaning of life is',
  'Once upon a time',
  'The president said',
  'In the beginning',
  'It was a dark and stormy night',
  'The king of England',
  'My favourite food is',
  'The state of the union',
];
const TOKENS = 20;
// a real GC between waves (vitest runs without --expose-gc): RSS is then what is kept, not garbage
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
let dynamojs: DynamojsProvider;
let server: Awaited<ReturnType<typeof startGenerationServer>>;
let models: OnnxModel[];
const solo = new Map<number, string>();

function request(i: number) {
  return { prompt: PROMPTS[i % PROMPTS.length], maxOutputTokens: TOKENS, seed: 1000 + i, temperature: 0.8 };
}

async function post(body: unknown, init: RequestInit = {}) {
  return fetch(server.url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), ...init });
}

/** One streaming request; aborts after its first text line when `abortAfterFirst`. Resolves with the text, or null when aborted. */
async function streamOne(i: number, abortAfterFirst: boolean): Promise<string | null> {
  const controller = new AbortController();
  const res = await post({ ...request(i), stream: true }, { signal: controller.signal });
  expect(res.status).toBe(200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  let text = '';
  let finished = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = JSON.parse(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        if (line.type === 'text') {
          text += line.text;
          if (abortAfterFirst) {
            controller.abort();
            return null;
          }
        } else if (line.type === 'finish') finished = true;
        else if (line.type === 'error') throw new Error(line.message);
        nl = buffered.indexOf('\n');
      }
    }
  } catch (error) {
    if (controller.signal.aborted) return null;
    throw error;
  }
  expect(finished).toBe(true);
  return text;
}

/** A seeded coin (the same requests abort in every run). */
function aborts(n: number, seed: number): boolean[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31 < 0.3;
  });
}

async function settled(): Promise<void> {
  for (let i = 0; i < 100 && (server.active() > 0 || queueForTesting(models[0] as OnnxModel)?.running); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the provider behind an HTTP server', () => {
  beforeAll(async () => {
    dynamojs = createDynamojs({
      device: 'cpu',
      loadOptions: { sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } },
    });
    const model = dynamojs('model-tiny');
    const loaded = await model.load();
    server = await startGenerationServer({ model, streamText, generateText });
    // each request alone, one after the other (non-streaming): what every concurrent run must give
    for (let i = 0; i < 32; i++) {
      const res = await post(request(i));
      expect(res.status).toBe(200);
      solo.set(i, ((await res.json()) as { text: string }).text);
    }
    models = [loaded.model as OnnxModel];
  }, 240_000);
  afterAll(async () => {
    await server?.close();
    await dynamojs?.dispose();
  });

  it.each([8, 32])(
    '%i concurrent streaming requests, about 3 in 10 aborted by their client: the others = their solo runs',
    async (n) => {
      const abort = aborts(n, n);
      const before = models.map((m) => m.liveCaches);
      const results = await Promise.all(Array.from({ length: n }, (_, i) => streamOne(i, abort[i] as boolean)));
      let completed = 0;
      for (let i = 0; i < n; i++) {
        if (abort[i]) continue;
        expect(results[i], `request ${i}`).toBe(solo.get(i));
        completed++;
      }
      expect(completed).toBeGreaterThanOrEqual(n / 3);
      await settled();
      // every generation's KV cache released (the aborted ones too), every slot given back
      expect(models.map((m) => m.liveCaches)).toEqual(before);
      expect(queueForTesting(models[0] as OnnxModel)?.running ?? 0).toBe(0);
      expect(queueForTesting(models[0] as OnnxModel)?.waiting ?? 0).toBe(0);
    },
    240_000,
  );

  it('malformed requests: 4xx with a reason; the server goes on answering', async () => {
    const bad = await post('{ not json');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { type: string } }).error.type).toBe('invalid_json');
    expect((await post('[1, 2]')).status).toBe(400);
    const range = await post({ prompt: 'Hello', maxOutputTokens: 0 });
    expect(range.status).toBe(400);
    const option = await post({ prompt: 'Hello', providerOptions: { dynamojs: { epsilon: 7 } } });
    expect(option.status).toBe(400);
    expect(((await option.json()) as { error: { message: string } }).error.message).toMatch(/epsilon/);
    expect((await fetch(server.url.replace('/v1/generate', '/nope'))).status).toBe(404);
    expect((await fetch(server.url)).status).toBe(405);
    expect((await post('x'.repeat((1 << 20) + 10))).status).toBe(413);
    // and a good request still gives its solo output
    expect(await streamOne(3, false)).toBe(solo.get(3));
  }, 120_000);

  it('a bounded soak (~15 s of 8-request waves with aborts): RSS stays flat, caches all released', async () => {
    const rss: number[] = [];
    const until = Date.now() + 15_000;
    let wave = 0;
    while (Date.now() < until) {
      const abort = aborts(8, 100 + wave);
      const ids = Array.from({ length: 8 }, (_, i) => (wave * 8 + i) % 32);
      const results = await Promise.all(ids.map((id, i) => streamOne(id, abort[i] as boolean)));
      ids.forEach((id, i) => {
        if (!abort[i]) expect(results[i]).toBe(solo.get(id));
      });
      wave++;
      gc();
      rss.push(process.memoryUsage().rss);
    }
    await settled();
    expect(wave).toBeGreaterThan(3);
    const warm = Math.max(...rss.slice(0, Math.max(2, Math.floor(rss.length / 4))));
    const last = rss[rss.length - 1] as number;
    // flat: the last wave within 48 MB of the largest of the first quarter (no per-request growth)
    expect(last - warm).toBeLessThan(48 * 2 ** 20);
    expect(models[0]?.liveCaches).toBe(0);
  }, 120_000);
});
