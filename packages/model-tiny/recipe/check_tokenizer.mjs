// Check that @huggingface/tokenizers (the JS tokenizer DynaMo.js uses) gives exactly the ids of the
// recipe's python BPE encoder on the same tokenizer.json: validation text and tricky strings
// (accents, CJK, emoji, whitespace runs, the special token). Also checks decode(encode(x)) == x.
// Usage: node recipe/check_tokenizer.mjs [tokenizer.json=recipe/work/tokenizer.json] [check=recipe/work/tokenizer_check.json]
// (write the check file with: /usr/bin/python3 recipe/tokenizer.py --check-only)
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';

const here = dirname(fileURLToPath(import.meta.url));
const tokPath = process.argv[2] ?? join(here, 'work', 'tokenizer.json');
const checkPath = process.argv[3] ?? join(here, 'work', 'tokenizer_check.json');
const tj = JSON.parse(readFileSync(tokPath, 'utf8'));
const cfgPath = join(dirname(tokPath), 'tokenizer_config.json');
// without a tokenizer_config.json next to it: no clean-up of spaces on decode (the model's setting)
let tc = { clean_up_tokenization_spaces: false };
try {
  tc = JSON.parse(readFileSync(cfgPath, 'utf8'));
} catch {
  /* optional */
}
const tok = new Tokenizer(tj, tc);
const cases = JSON.parse(readFileSync(checkPath, 'utf8'));
let bad = 0;
let n = 0;
for (const { text, ids } of cases) {
  const got = tok.encode(text, { add_special_tokens: false }).ids.map(Number);
  n += ids.length;
  const same = got.length === ids.length && got.every((x, i) => x === ids[i]);
  if (!same) {
    bad++;
    let i = 0;
    while (i < got.length && got[i] === ids[i]) i++;
    console.error(
      `MISMATCH on ${JSON.stringify(text.slice(0, 60))}: first diff at ${i}: js ${got.slice(i, i + 5)} py ${ids.slice(i, i + 5)}`,
    );
  }
  const dec = tok.decode(got, { skip_special_tokens: false });
  if (dec !== text) {
    bad++;
    console.error(`ROUND-TRIP differs on ${JSON.stringify(text.slice(0, 60))}: ${JSON.stringify(dec.slice(0, 60))}`);
  }
}
console.log(`check_tokenizer: ${cases.length} strings, ${n} tokens, ${bad} problems`);
process.exit(bad ? 1 : 0);
