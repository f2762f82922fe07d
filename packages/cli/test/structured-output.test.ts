/**
 * Structured output on the bundled reference model (packages/model-tiny/model): 200 seeded
 * generations over four JSON schemas, in every mode (ar, verified greedy and speculative, dynamo
 * with the draft head's chain and with the extra heads), each of which must parse and validate
 * against its schema; greedy verified is token for token greedy ar under the same constraint; and
 * bad inputs are typed errors. Lives in the CLI package because @dynamojs/generate must not depend
 * on a runtime.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDynamoError, type MultiTokenModel, type TextTokenizer } from '@dynamojs/core';
import { type DecodingSettings, generate, resolveDecoding } from '@dynamojs/generate';
import { loadModel } from '@dynamojs/onnx/node';
import { type CoOccurrenceTables, loadCoOccurrenceTables } from '@dynamojs/samplers';
import {
  grammarConstraint,
  jsonConstraint,
  jsonSchemaConstraint,
  regexConstraint,
  type XGrammarConstraint,
} from '@dynamojs/structured';
import { loadTokenizer } from '@dynamojs/tokenizer';
import { beforeAll, describe, expect, it } from 'vitest';
import { schemaViolation } from './jsonSchemaCheck.js';

const DIR = fileURLToPath(new URL('../../model-tiny/model', import.meta.url));
const HAS_MODEL = existsSync(`${DIR}/dynamo.json`) && existsSync(`${DIR}/model.onnx`);
const session = { sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } };

// the bench's schemas too (packages/structured/bench/structuredOutput.bench.mjs)
const SCHEMAS: Record<string, unknown>[] = JSON.parse(
  readFileSync(new URL('../../structured/examples/schemas.json', import.meta.url), 'utf8'),
);

const MODES: { name: string; settings: DecodingSettings }[] = [
  { name: 'ar', settings: { mode: 'ar' } },
  { name: 'verified greedy', settings: { mode: 'verified', greedy: true } },
  { name: 'verified speculative', settings: { mode: 'verified', drafter: 'head', verification: 'speculative' } },
  { name: 'dynamo chain', settings: { mode: 'dynamo', joint: 'chain' } },
  { name: 'dynamo heads', settings: { mode: 'dynamo', joint: 'heads' } },
];

describe.runIf(HAS_MODEL)('structured output on the bundled model', () => {
  let tokenizer: TextTokenizer;
  let multi: MultiTokenModel;
  let base: MultiTokenModel;
  let tables: CoOccurrenceTables;
  let constraints: XGrammarConstraint[];

  const run = async (settings: DecodingSettings, constraint: XGrammarConstraint, seed: number, prompt: string) => {
    const plan = resolveDecoding(settings, {
      decoding: multi.metadata.decoding,
      heads: multi.metadata.heads,
      draftHead: true,
      tables: true,
      device: 'cpu',
    });
    const model = plan.graph === 'base' ? base : multi;
    const components = plan.create({ draftHead: base.draftHead, tables });
    return generate({ model, tokenizer, prompt, ...components, constraint, maxNewTokens: 160, seed });
  };

  beforeAll(async () => {
    tokenizer = await loadTokenizer(`${DIR}/tokenizer.json`);
    multi = await loadModel(DIR, { device: 'cpu', ...session });
    base = await loadModel(DIR, { device: 'cpu', baseOnly: true, draftHead: true, ...session });
    tables = loadCoOccurrenceTables(readFileSync(`${DIR}/ngrams.bin`));
    constraints = await Promise.all(SCHEMAS.map((s) => jsonSchemaConstraint(tokenizer, s)));
  }, 60_000);

  it('200 seeded generations over four schemas in every mode all parse and validate', async () => {
    const prompts = ['The meaning of life is', 'Here is the record:', 'I am a student at the', 'JSON:'];
    let count = 0;
    let forced = 0;
    for (const [m, mode] of MODES.entries()) {
      for (let i = 0; i < 40; i++) {
        const s = i % SCHEMAS.length;
        const seed = 1000 * m + i;
        const r = await run(
          mode.settings,
          constraints[s] as XGrammarConstraint,
          seed,
          prompts[i % prompts.length] as string,
        );
        const where = `${mode.name}, schema ${s}, seed ${seed}: ${JSON.stringify(r.text)} (${r.finishReason})`;
        expect(r.finishReason, where).toBe('eos');
        let value: unknown;
        expect(() => {
          value = JSON.parse(r.text);
        }, where).not.toThrow();
        expect(schemaViolation(value, SCHEMAS[s] as Record<string, unknown>), where).toBeUndefined();
        forced += r.stats.constraint?.forcedTokens ?? 0;
        count++;
      }
    }
    expect(count).toBe(200);
    expect(forced).toBeGreaterThan(0);
  }, 240_000);

  it('greedy verified gives exactly greedy ar under the same constraint, with and without forced runs', async () => {
    for (const [s, constraint] of constraints.entries()) {
      for (const forcedRuns of [true, false]) {
        const common = { tokenizer, prompt: 'The meaning of life is', constraint, forcedRuns, maxNewTokens: 160 };
        const ar = await generate({
          ...common,
          model: base,
          ...resolveDecoding({ mode: 'ar', greedy: true }, { heads: 1 }).create(),
        });
        const verified = await generate({
          ...common,
          model: multi,
          ...resolveDecoding({ mode: 'verified', greedy: true, drafter: 'top1' }, { heads: 3 }).create(),
        });
        expect(verified.tokens, `schema ${s}, forcedRuns ${forcedRuns}`).toEqual(ar.tokens);
        expect(verified.finishReason).toBe('eos');
        if (forcedRuns) expect(ar.stats.forwardPasses).toBeLessThan(ar.tokens.length);
      }
    }
  }, 120_000);

  it('regular expressions, EBNF grammars and any-JSON constrain the text', async () => {
    const ar = resolveDecoding({ mode: 'ar' }, { heads: 1 });
    const regex = await regexConstraint(tokenizer, '[0-9]{3}-[a-z]{2,6}');
    const grammar = await grammarConstraint(tokenizer, 'root ::= "yes" | "no" | "maybe " [a-z]+ "."');
    const json = await jsonConstraint(tokenizer);
    for (let seed = 0; seed < 5; seed++) {
      const r1 = await generate({
        model: base,
        tokenizer,
        prompt: 'Code:',
        ...ar.create(),
        constraint: regex,
        seed,
        maxNewTokens: 20,
      });
      expect(r1.text).toMatch(/^[0-9]{3}-[a-z]{2,6}$/);
      const r2 = await generate({
        model: base,
        tokenizer,
        prompt: 'Answer:',
        ...ar.create(),
        constraint: grammar,
        seed,
        maxNewTokens: 20,
      });
      if (r2.finishReason === 'eos') expect(r2.text).toMatch(/^(yes|no|maybe [a-z]+\.)$/);
      const r3 = await generate({
        model: base,
        tokenizer,
        prompt: 'Data:',
        ...ar.create(),
        constraint: json,
        seed,
        maxNewTokens: 40,
      });
      if (r3.finishReason === 'eos') expect(() => JSON.parse(r3.text)).not.toThrow();
    }
  }, 60_000);

  it('a grammar that is complete without eos finishes with "constraint" and keeps the text', async () => {
    const grammar = await grammarConstraint(tokenizer, 'root ::= "abc"');
    const r = await generate({
      model: base,
      tokenizer,
      prompt: 'x',
      constraint: grammar,
      eos: false,
      maxNewTokens: 20,
    });
    expect(r.finishReason, JSON.stringify(r.text)).toBe('constraint');
    expect(r.text).toBe('abc');
  });

  it('invalid schemas, grammars and regular expressions are DYNAMO_GRAMMAR with the engine message', async () => {
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => jsonSchemaConstraint(tokenizer, { type: 'foo' }), /Unsupported type "foo"/],
      [() => jsonSchemaConstraint(tokenizer, '{not json'), /not valid JSON/],
      [() => jsonSchemaConstraint(tokenizer, { type: 'object', properties: { a: { $ref: '#/defs/x' } } }), /defs/],
      [() => grammarConstraint(tokenizer, 'root ::= "a" | '), /line 1/],
      [() => regexConstraint(tokenizer, '(?<=a)b'), /Lookbehind/],
    ];
    for (const [compile, message] of cases) {
      const error = await compile().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isDynamoError(error, 'DYNAMO_GRAMMAR'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
    // the engine still works after it rejected them
    const ok = await jsonSchemaConstraint(tokenizer, { type: 'boolean' });
    const r = await generate({ model: base, tokenizer, prompt: 'x', constraint: ok, maxNewTokens: 5 });
    expect(['true', 'false']).toContain(r.text);
  });

  it('a tokenizer the engine cannot index is DYNAMO_UNSUPPORTED', async () => {
    const opaque = {
      vocabSize: 10,
      specialTokens: {},
      hash: '',
      encode: () => [],
      decode: () => '',
    } as unknown as TextTokenizer;
    const error = await jsonSchemaConstraint(opaque, { type: 'boolean' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isDynamoError(error, 'DYNAMO_UNSUPPORTED'), String(error)).toBe(true);
  });
});

describe.runIf(HAS_MODEL)('dynamo generate / bench with a constraint (CLI, in-process)', () => {
  const cli = async (args: string[], files: Record<string, string> = {}) => {
    const { runCli } = await import('../src/index.js');
    let out = '';
    let err = '';
    const code = await runCli(args, {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      readText: async (path) => {
        const text = files[path];
        if (text === undefined) throw new Error(`ENOENT: no such file ${path}`);
        return text;
      },
    });
    return { code, out, err };
  };
  const common = ['--model', DIR, '--device', 'cpu', '--threads', '1', '--seed', '3', '--max-tokens', '120'];

  it.each(['ar', 'dynamo', 'verified'])('generate --mode %s --json-schema FILE --json', async (mode) => {
    const schema = SCHEMAS[0] as Record<string, unknown>;
    const r = await cli(['generate', 'A record:', '--mode', mode, '--json-schema', 's.json', '--json', ...common], {
      's.json': JSON.stringify(schema),
    });
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out) as { text: string; stats: { constraint?: { forcedTokens: number } } };
    expect(schemaViolation(JSON.parse(result.text), schema)).toBeUndefined();
    expect(result.stats.constraint?.forcedTokens).toBeGreaterThan(0);
  });

  it('generate --regex, --grammar FILE and --no-forced-runs; the stats line names the constraint', async () => {
    const regex = await cli(['generate', 'Code:', '--mode', 'ar', '--regex', '[0-9]{4}', ...common]);
    expect(regex.code, regex.err).toBe(0);
    expect(regex.out).toMatch(/^Code:[0-9]{4}\n$/);
    expect(regex.err).toMatch(/constraint \d+ forced tokens/);
    const grammar = await cli(
      ['generate', 'Answer:', '--mode', 'verified', '--grammar', 'g.ebnf', '--no-forced-runs', '--json', ...common],
      { 'g.ebnf': 'root ::= "yes" | "no"' },
    );
    expect(grammar.code, grammar.err).toBe(0);
    const result = JSON.parse(grammar.out) as { text: string; stats: { constraint: { forcedTokens: number } } };
    expect(['yes', 'no']).toContain(result.text);
    expect(result.stats.constraint.forcedTokens).toBe(0);
  });

  it('bad constraint flags are typed errors with their exit codes', async () => {
    const both = await cli(['generate', 'x', '--regex', 'a', '--grammar', 'g', ...common]);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/DYNAMO_INVALID_OPTION/);
    const alone = await cli(['generate', 'x', '--no-forced-runs', ...common]);
    expect(alone.code).toBe(2);
    const missing = await cli(['generate', 'x', '--json-schema', 'nope.json', ...common]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/DYNAMO_IO/);
    const invalid = await cli(['generate', 'x', '--json-schema', 'bad.json', ...common], {
      'bad.json': '{"type": "foo"}',
    });
    expect(invalid.code).toBe(1);
    expect(invalid.err).toMatch(/DYNAMO_GRAMMAR.*Unsupported type "foo"/);
  });

  it('bench --json-schema runs every row under the constraint', async () => {
    const r = await cli(
      [
        'bench',
        '--modes',
        'ar,verified',
        '--seeds',
        '1',
        '--warmup',
        '0',
        '--prompts',
        'p.txt',
        '--json-schema',
        's.json',
        '--json',
        ...common.slice(0, 6),
        '--max-tokens',
        '60',
      ],
      { 'p.txt': 'A record:\n', 's.json': JSON.stringify(SCHEMAS[1]) },
    );
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as { constraint: string; rows: { label: string; tokensPerPass: number }[] };
    expect(report.constraint).toBe('json-schema s.json');
    expect(report.rows.length).toBeGreaterThan(1);
  });
});

describe('JSON-schema keywords the engine does not enforce', () => {
  it('are refused naming each use, or left out with { unenforced: "ignore" }', async () => {
    const { unenforcedKeywords } = await import('@dynamojs/structured');
    const schema = {
      type: 'object',
      properties: {
        n: { type: 'integer', multipleOf: 5 },
        list: { type: 'array', items: { type: 'string', not: { const: 'x' } }, uniqueItems: true },
      },
      required: ['n'],
    };
    expect(unenforcedKeywords(schema)).toEqual([
      { keyword: 'multipleOf', at: '#/properties/n/multipleOf' },
      { keyword: 'uniqueItems', at: '#/properties/list/uniqueItems' },
      { keyword: 'not', at: '#/properties/list/items/not' },
    ]);
    if (!HAS_MODEL) return;
    const tokenizer = await loadTokenizer(`${DIR}/tokenizer.json`);
    const error = await jsonSchemaConstraint(tokenizer, schema).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isDynamoError(error, 'DYNAMO_GRAMMAR')).toBe(true);
    expect((error as Error).message).toMatch(
      /multipleOf \(#\/properties\/n\/multipleOf\).*not \(#\/properties\/list\/items\/not\)/,
    );
    const ignored = await jsonSchemaConstraint(tokenizer, schema, { unenforced: 'ignore' });
    expect(ignored.vocabSize).toBe(tokenizer.vocabSize);
  });
});
