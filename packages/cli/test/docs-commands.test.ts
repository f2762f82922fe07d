// Every `dynamo` command the documentation shows, run as the docs write it — `npx dynamo …` from the
// repository root (the workspace's linked bin), `npx @dynamojs/cli …`, `npm start` — on the bundled
// model. The commands are read from the markdown at test time, so a new one is covered (or fails
// here) as soon as it is written. Placeholders (files the reader brings: a tokenizer, a corpus, a
// prompts file, a held-out text, an output folder) become temporary stand-ins; long runs (eval,
// bench) get flags appended that make them short (the documented flags are passed too; where both
// set one, the appended value wins). Usage synopses (`dynamo generate "prompt" [--mode …] …`) are checked
// against the command's --help instead.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureHubExports, hasTorch } from '../../onnx/test/fixtures/hubExports.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const modelDir = join(root, 'packages/model-tiny/model');
const tmp = mkdtempSync(join(tmpdir(), 'dynamojs-docs-commands-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The user-facing documentation: guides, READMEs (not the generated API reference, eval reports or benchmark records). */
function docFiles(): string[] {
  const files = [join(root, 'README.md')];
  for (const f of readdirSync(join(root, 'docs'))) if (f.endsWith('.md')) files.push(join(root, 'docs', f));
  for (const dir of ['packages', 'apps']) {
    for (const p of readdirSync(join(root, dir))) {
      const readme = join(root, dir, p, 'README.md');
      if (existsSync(readme)) files.push(readme);
    }
  }
  return files;
}

interface DocCommand {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

const COMMAND = /^(?:npx (?:dynamo|@dynamojs\/cli)|dynamo) [a-z]/;

/** `dynamo …` commands in fenced code blocks (with `\` and indented continuation lines) and in inline code. */
function extract(file: string): DocCommand[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: DocCommand[] = [];
  let fenced = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    if (/^\s*```/.test(raw)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) {
      const trimmed = raw.trim().replace(/\s+#.*$/, '');
      if (!COMMAND.test(trimmed)) continue;
      let text = trimmed;
      const start = i;
      // `\` continuations, and a synopsis' indented `[--…]` lines
      while (i + 1 < lines.length) {
        const next = lines[i + 1] as string;
        if (text.endsWith('\\')) text = `${text.slice(0, -1).trimEnd()} ${next.trim()}`;
        else if (/^\s+\[/.test(next)) text = `${text} ${next.trim()}`;
        else break;
        i++;
      }
      out.push({ file, line: start + 1, text });
    } else {
      for (const m of raw.matchAll(/`([^`]+)`/g)) {
        const code = (m[1] as string).trim();
        if (COMMAND.test(code) && (code.startsWith('npx ') || / --[a-z]/.test(code))) {
          out.push({ file, line: i + 1, text: code });
        }
      }
    }
  }
  return out;
}

/** Splits a shell command line (quotes, no variables). */
function words(command: string): string[] {
  const out: string[] = [];
  for (const m of command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? (m[3] as string));
  return out;
}

const TEXT = `${readFileSync(join(root, 'README.md'), 'utf8').replace(/[`#|*[\]()]/g, ' ')}\n`.repeat(2);

/** A stand-in for a file the reader brings. */
function standIn(kind: 'text' | 'prompts', name: string): string {
  const path = join(tmp, 'inputs', `${kind}-${basename(name).replace(/[^\w.-]/g, '_') || 'file'}`);
  mkdirSync(join(tmp, 'inputs'), { recursive: true });
  writeFileSync(path, kind === 'prompts' ? 'The meaning of life is\nOnce upon a time\n' : TEXT);
  return path;
}

/**
 * A hub model the docs name (`--model ./Llama-3.2-1B-Instruct --chat …`, `--dtype q4`): the mistral
 * fixture of make_hub_exports.py (a hub-layout export with a SentencePiece tokenizer and a chat
 * template, every dtype), where Python can write it; else undefined (the bundled model).
 */
function hubModel(argv: readonly string[]): string | undefined {
  if (!argv.includes('--chat') && !argv.includes('--dtype')) return undefined;
  return hasTorch ? join(ensureHubExports(), 'mistral') : undefined;
}

let outputs = 0;
/** The argv to run for a documented command, with placeholders replaced and long runs shortened. */
function runnable(command: string): { argv: string[]; sub: string; outPath?: string } {
  const argv = words(command);
  if (argv[0] === 'dynamo') argv.unshift('npx'); // as the repository runs its own bin
  const at = 2;
  const sub = argv[at] === 'ngrams' ? 'ngrams build' : (argv[at] as string);
  const out: string[] = [];
  let outPath: string | undefined;
  let positional = false;
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i] as string;
    const value = argv[i + 1];
    if (i > at && w.startsWith('--') && value !== undefined && !value.startsWith('--')) {
      let v = value;
      if (w === '--out') v = outPath = join(tmp, `out-${++outputs}`, basename(value));
      else if (w === '--tokenizer' && !existsSync(join(root, value))) v = join(modelDir, 'tokenizer.json');
      else if ((w === '--model' || w === '--assistant') && !existsSync(join(root, value)))
        v = hubModel(argv) ?? modelDir;
      else if (w === '--prompts' && !existsSync(join(root, value))) v = standIn('prompts', value);
      else if (w === '--text' && !existsSync(join(root, value))) v = standIn('text', value);
      if (BOOLEAN_FLAGS.has(w)) out.push(w);
      else {
        out.push(w, v);
        i++;
      }
      continue;
    }
    if (i > at + (sub === 'ngrams build' ? 1 : 0) && !w.startsWith('--') && sub === 'ngrams build') {
      // the corpus: one stand-in for whatever the docs name (`corpus/*.txt`, `your-text…`)
      if (!positional) out.push(standIn('text', 'corpus.txt'));
      positional = true;
      continue;
    }
    out.push(w);
  }
  if (outPath) mkdirSync(join(outPath, '..'), { recursive: true });
  if (sub === 'eval') {
    out.push('--seeds', '1', '--eps', '0.5', '--max-tokens', '6', '--skip-ablations', '--skip-png', '--warmup', '0');
    out.push('--ppl-tokens', '128', '--ppl-eps', '0.5', '--threads', '1', '--device', 'cpu');
  }
  if (sub === 'bench') {
    out.push('--prompts', standIn('prompts', 'bench'), '--seeds', '1', '--epsilon', '0.5', '--max-tokens', '6');
    out.push('--warmup', '0', '--threads', '1', '--device', 'cpu');
  }
  return { argv: out, sub, ...(outPath && { outPath }) };
}

const BOOLEAN_FLAGS = new Set([
  '--json',
  '--greedy',
  '--default-prompts',
  '--skip-ablations',
  '--skip-verified',
  '--skip-png',
  '--fresh',
  '--transformers',
  '--verified-sampling',
]);

function run(argv: readonly string[]) {
  const [cmd, ...args] = argv as [string, ...string[]];
  const r = spawnSync(cmd, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, npm_config_yes: 'true', NO_COLOR: '1' },
    timeout: 240_000,
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

const commands = docFiles().flatMap(extract);
const synopses = commands.filter((c) => / \[--/.test(c.text));
const runs = commands.filter((c) => !synopses.includes(c));

describe('the documentation', () => {
  it('shows dynamo commands (the extraction works)', () => {
    expect(runs.length).toBeGreaterThanOrEqual(8);
    expect(synopses.length).toBeGreaterThanOrEqual(3);
    for (const c of runs) expect(c.text, `${relative(root, c.file)}:${c.line}`).toMatch(COMMAND);
  });

  it('README: npm start (after the build) generates text', () => {
    const r = run(['npm', 'start', '--silent']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('The meaning of life is');
  }, 300_000);

  for (const c of synopses) {
    it(`${relative(root, c.file)}:${c.line} synopsis: every flag it shows is in --help`, () => {
      const argv = words(c.text);
      const sub = argv[1] === 'ngrams' ? ['ngrams', 'build'] : [argv[1] as string];
      const help = run(['npx', 'dynamo', ...sub, '--help']);
      expect(help.status, help.stderr).toBe(0);
      for (const flag of c.text.match(/--[a-z][a-z-]*/g) ?? []) expect(help.stdout, flag).toContain(flag);
    });
  }

  for (const c of runs) {
    it(`${relative(root, c.file)}:${c.line}: ${c.text.slice(0, 90)}`, () => {
      const { argv, sub, outPath } = runnable(c.text);
      const r = run(argv);
      expect(r.status, `${argv.join(' ')}\n${r.stderr.slice(-2000)}`).toBe(0);
      if (sub === 'generate') expect(r.stdout.length).toBeGreaterThan(0);
      if (sub === 'ngrams build') expect(existsSync(outPath as string)).toBe(true);
      if (sub === 'eval') expect(existsSync(join(outPath as string, 'report.md'))).toBe(true);
      if (sub === 'bench') expect(r.stdout).toMatch(/tok\/s|tokens\/s/);
    }, 300_000);
  }
});
