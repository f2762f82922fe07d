// @ts-check
// A minimal HTTP server around the DynaMo.js AI SDK provider: what the load test and the load
// benchmark put under concurrent requests (and a starting point for your own server).
//
//   POST /v1/generate  { prompt | messages, maxOutputTokens?, temperature?, topK?, seed?, stream?,
//                        providerOptions? }
//     stream: true  → 200 application/x-ndjson: {"type":"text","text":…} lines, then one
//                     {"type":"finish","finishReason":…,"usage":…} (or {"type":"error","message":…})
//     stream: false → 200 application/json { text, finishReason, usage }
//   400: the body is not JSON / not an object / an option is out of range (the AI SDK's
//   InvalidArgumentError); 404 / 405: another path or method; 413: a body over 1 MB; 500: other errors.
//
// A client that disconnects aborts its generation (the AI SDK's abortSignal): the model stops after
// the pass in flight, and its KV cache is released. Concurrent requests share the loaded model, at
// most `maxConcurrency` generations at a time (the provider's setting), the rest in line.
import { createServer } from 'node:http';

const MAX_BODY = 1 << 20;

/**
 * @param {{ model: unknown, streamText: Function, generateText: Function, host?: string, port?: number }} options
 * @returns {Promise<{ url: string, close(): Promise<void>, active(): number }>}
 */
export async function startGenerationServer({ model, streamText, generateText, host = '127.0.0.1', port = 0 }) {
  let active = 0;
  const server = createServer((req, res) => {
    const send = (/** @type {number} */ status, /** @type {unknown} */ body) => {
      if (res.headersSent) return res.end();
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url !== '/v1/generate') return send(404, { error: { type: 'not_found', message: `No route ${req.url}` } });
    if (req.method !== 'POST') return send(405, { error: { type: 'method_not_allowed', message: 'POST only' } });
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (/** @type {Buffer} */ c) => {
      size += c.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', async () => {
      if (tooLarge) return send(413, { error: { type: 'too_large', message: `The body exceeds ${MAX_BODY} bytes.` } });
      /** @type {any} */
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        return send(400, { error: { type: 'invalid_json', message: String(/** @type {Error} */ (e).message) } });
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return send(400, { error: { type: 'invalid_request', message: 'The body must be a JSON object.' } });
      }
      const { stream = false, prompt, messages, maxOutputTokens, temperature, topK, seed, providerOptions } = body;
      const controller = new AbortController();
      // the client went away before the response ended: stop its generation
      res.on('close', () => {
        if (!res.writableEnded) controller.abort();
      });
      const call = {
        model,
        ...(messages !== undefined ? { messages } : { prompt }),
        ...(maxOutputTokens !== undefined && { maxOutputTokens }),
        ...(temperature !== undefined && { temperature }),
        ...(topK !== undefined && { topK }),
        ...(seed !== undefined && { seed }),
        ...(providerOptions !== undefined && { providerOptions }),
        abortSignal: controller.signal,
        maxRetries: 0,
      };
      active++;
      try {
        if (!stream) {
          const r = await generateText(call);
          return send(200, { text: r.text, finishReason: r.finishReason, usage: r.usage });
        }
        const r = streamText({ ...call, onError: () => {} });
        for await (const part of r.fullStream) {
          if (part.type === 'error') throw part.error;
          if (part.type === 'abort') break;
          if (!res.headersSent) res.writeHead(200, { 'content-type': 'application/x-ndjson' });
          if (part.type === 'text-delta') res.write(`${JSON.stringify({ type: 'text', text: part.text })}\n`);
          if (part.type === 'finish') {
            res.write(
              `${JSON.stringify({ type: 'finish', finishReason: part.finishReason, usage: part.totalUsage })}\n`,
            );
          }
        }
        if (!res.headersSent) res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.end();
      } catch (e) {
        const error = /** @type {any} */ (e);
        if (controller.signal.aborted) return res.destroy();
        const invalid =
          error?.name === 'AI_InvalidArgumentError' || error?.constructor?.name === 'InvalidArgumentError';
        if (res.headersSent) {
          res.end(`${JSON.stringify({ type: 'error', message: String(error?.message ?? error) })}\n`);
        } else {
          send(invalid ? 400 : 500, {
            error: { type: invalid ? 'invalid_argument' : 'server_error', message: String(error?.message ?? error) },
          });
        }
      } finally {
        active--;
      }
    });
  });
  await new Promise((resolve) => server.listen(port, host, () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://${host}:${address.port}/v1/generate`,
    active: () => active,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve(undefined));
      }),
  };
}
