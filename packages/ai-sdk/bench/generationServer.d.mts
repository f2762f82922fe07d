/** See generationServer.mjs. */
export function startGenerationServer(options: {
  model: unknown;
  // biome-ignore lint/suspicious/noExplicitAny: the AI SDK's functions, of either major version
  streamText: (...args: any[]) => any;
  // biome-ignore lint/suspicious/noExplicitAny: idem
  generateText: (...args: any[]) => any;
  host?: string;
  port?: number;
}): Promise<{ url: string; close(): Promise<void>; active(): number }>;
