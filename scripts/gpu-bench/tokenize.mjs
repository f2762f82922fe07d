#!/usr/bin/env node
// GPU kit: the prompts as token ids, by the same tokenizer `dynamo bench` uses, so the PyTorch peer
// (hf_peer.py) generates from exactly the ids the JS rows start from (no Python tokenizer needed).
//   node tokenize.mjs MODEL_DIR PROMPTS_TXT OUT_JSON
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenizer } from '@dynamojs/tokenizer';

const [dir, promptsFile, out] = process.argv.slice(2);
if (!out) {
  console.error('usage: node tokenize.mjs MODEL_DIR PROMPTS_TXT OUT_JSON');
  process.exit(2);
}
const path = existsSync(join(dir, 'tokenizer.json'))
  ? join(dir, 'tokenizer.json')
  : join(dir, 'base', 'tokenizer.json');
const tokenizer = await loadTokenizer(path);
const prompts = readFileSync(promptsFile, 'utf8')
  .split(/\r?\n/)
  .filter((l) => l.trim().length > 0);
const ids = prompts.map((p) => Array.from(tokenizer.encode(p)));
writeFileSync(out, JSON.stringify(ids));
console.log(`${ids.length} prompts, ${ids.map((x) => x.length).join('/')} tokens`);
