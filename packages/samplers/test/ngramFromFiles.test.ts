import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoErrorCode, isDynamoError } from '@dynamojs/core';
import { encode } from 'gpt-3-encoder';
import { describe, expect, it } from 'vitest';
import { buildCoOccurrenceTablesSync, loadCoOccurrenceTables } from '../src/index.js';
import { buildTablesFromFiles, loadCoOccurrenceTablesFile } from '../src/node.js';

/** gpt-3-encoder as a TextTokenizer (only what the builder uses). */
const gpt2 = { vocabSize: 50257, hash: 'gpt2-bpe-test', encode: (text: string) => encode(text) };

const dir = mkdtempSync(join(tmpdir(), 'dynamo-ngrams-'));
const textFile = join(dir, 'a.txt');
writeFileSync(textFile, 'The cat sat on the mat.\nThe cat sat on the hat.\n\nA dog ran.\n');
const jsonlFile = join(dir, 'b.jsonl');
writeFileSync(jsonlFile, `${JSON.stringify({ text: 'The cat sat.' })}\n\n${JSON.stringify({ text: 'A dog ran.' })}\n`);

describe('buildTablesFromFiles (Node entry)', () => {
  it('text files: one document per file by default, lines encoded with their newline', async () => {
    const out = join(dir, 'tables.bin');
    const progress: number[] = [];
    const result = await buildTablesFromFiles([textFile], {
      tokenizer: gpt2,
      out,
      minCount: 1,
      valueKind: 'count',
      progressEvery: 1,
      onProgress: (p) => progress.push(p.totalBytes),
    });
    const lines = readFileSync(textFile, 'utf8').split('\n').slice(0, -1);
    const ids = lines.flatMap((l) => encode(`${l}\n`));
    const expected = buildCoOccurrenceTablesSync([ids], {
      vocabSize: 50257,
      minCount: 1,
      valueKind: 'count',
      tokenizerHash: gpt2.hash,
    });
    expect(Buffer.from(result.bytes).equals(Buffer.from(expected))).toBe(true);
    expect(result.header.documents).toBe(1);
    const t = await loadCoOccurrenceTablesFile(out, { vocabSize: 50257, tokenizerHash: gpt2.hash });
    const cat = encode(' cat')[0] as number;
    const sat = encode(' sat')[0] as number;
    expect(t.unigrams[cat]).toBe(2);
    expect(t.bigramValues[t.findBigram(cat, sat)]).toBe(2);
    expect(progress.length).toBeGreaterThan(0);
  });

  it('paragraph and line documents; JSONL records; n-grams never cross documents', async () => {
    const para = await buildTablesFromFiles([textFile], { tokenizer: gpt2, documents: 'paragraph', minCount: 1 });
    expect(para.header.documents).toBe(2);
    const line = await buildTablesFromFiles([textFile], { tokenizer: gpt2, documents: 'line', minCount: 1 });
    expect(line.header.documents).toBe(3);
    const jsonl = await buildTablesFromFiles([jsonlFile, textFile], {
      tokenizer: gpt2,
      minCount: 1,
      valueKind: 'count',
    });
    expect(jsonl.header.documents).toBe(3);
    const t = loadCoOccurrenceTables(jsonl.bytes);
    const dot = encode('.')[0] as number;
    const a = encode('A')[0] as number;
    // "The cat sat." then "A dog ran." are separate records: ". A" is never counted from the JSONL
    // (only the text file's "\n\nA" paragraph break could, and newline tokens sit between them)
    expect(t.findBigram(dot, a)).toBe(-1);
  });

  it('bad JSONL lines: DYNAMO_IO by default, skipped on request; missing files are DYNAMO_IO', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, `${JSON.stringify({ text: 'ok' })}\n{not json\n${JSON.stringify({ body: 'no text' })}\n`);
    await expect(buildTablesFromFiles([bad], { tokenizer: gpt2 })).rejects.toSatisfy(
      (e: unknown) => isDynamoError(e, DynamoErrorCode.IO) && (e.details.line as number) === 2,
    );
    const skipped = await buildTablesFromFiles([bad], { tokenizer: gpt2, onBadLine: 'skip' });
    expect(skipped.skippedLines).toBe(2);
    await expect(buildTablesFromFiles([join(dir, 'missing.txt')], { tokenizer: gpt2 })).rejects.toSatisfy(
      (e: unknown) => isDynamoError(e, DynamoErrorCode.IO),
    );
    await expect(loadCoOccurrenceTablesFile(join(dir, 'missing.bin'))).rejects.toSatisfy((e: unknown) =>
      isDynamoError(e, DynamoErrorCode.IO),
    );
  });
});
