import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DefaultTheme, defineConfig } from 'vitepress';
import { repoLinks } from './links';

const here = dirname(fileURLToPath(import.meta.url));
const app = resolve(here, '..');
const repoRoot = resolve(app, '../..');
const srcDir = resolve(repoRoot, 'docs');
const repoUrl = 'https://github.com/dynamojs/dynamojs';
// Deploying under a sub-path (GitHub Pages project site): DOCS_BASE=/dynamojs/ npm run build
const base = process.env.DOCS_BASE ?? '/';

/** The API reference pages TypeDoc wrote (scripts/prebuild.mjs), for the sidebar. */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  const dir = resolve(srcDir, 'api/@dynamojs');
  if (!existsSync(dir)) return [{ text: 'Run `npm run build` to generate', link: '/api/' }];
  const items: DefaultTheme.SidebarItem[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isFile() || !entry.name.endsWith('.md')) continue;
    const name = entry.name.slice(0, -3);
    items.push({ text: `@dynamojs/${name}`, link: `/api/@dynamojs/${name}` });
    const sub = resolve(dir, name);
    if (existsSync(sub)) {
      for (const s of readdirSync(sub).sort()) {
        if (s.endsWith('.md'))
          items.push({ text: `@dynamojs/${name}/${s.slice(0, -3)}`, link: `/api/@dynamojs/${name}/${s.slice(0, -3)}` });
      }
    }
  }
  return [{ text: 'Overview', link: '/api/' }, ...items];
}

/** Every markdown page under docs/ (but the generated API reference), as site links. */
function allPages(dir = srcDir): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'api' && entry.name !== 'public' && !entry.name.startsWith('.')) out.push(...allPages(path));
    } else if (entry.name.endsWith('.md')) {
      out.push(`/${relative(srcDir, path).split(sep).join('/').slice(0, -3)}`);
    }
  }
  return out.sort();
}

function titleOf(link: string): string {
  const text = readFileSync(join(srcDir, `${link.slice(1)}.md`), 'utf8');
  const h1 = /^# (.+)$/m.exec(text)?.[1];
  return (h1 ?? link.slice(1))
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim();
}

const guides: DefaultTheme.SidebarItem[] = [
  { text: 'Architecture', link: '/architecture' },
  { text: 'Model format', link: '/model-format' },
  { text: 'Exporting your own model', link: '/export-model' },
  { text: 'Samplers & custom plugins', link: '/samplers' },
  { text: 'The DynaMo sampler', link: '/dynamo-sampler' },
  { text: 'Verified vs DynaMo', link: '/verified-vs-dynamo' },
  { text: 'Generation & the CLI', link: '/generation' },
  { text: 'Structured output', link: '/structured-output' },
  { text: 'Use with the AI SDK', link: '/ai-sdk' },
  { text: 'Devices & fallbacks', link: '/devices' },
  { text: 'Co-occurrence tables', link: '/cooccurrence-tables' },
];

/** Curated, in reading order; a page that does not exist (yet) is left out. */
const results: DefaultTheme.SidebarItem[] = [
  { text: 'Generation speed', link: '/benchmarks/generation' },
  { text: 'Structured output speed', link: '/benchmarks/structured-output' },
  { text: 'Measuring quality & speed-up', link: '/eval' },
  { text: 'Evaluation report', link: '/eval/report' },
  { text: 'Ablation: renormalising by mass', link: '/eval/renormalize-mass/report' },
].filter((item) => existsSync(join(srcDir, `${item.link?.slice(1)}.md`)));

const listed = new Set(['/', '/index', '/getting-started', '/about-the-docs', '/playground', '/custom-sampler']);
for (const g of [...guides, ...results]) listed.add(g.link ?? '');
/** Pages nobody put in the sidebar yet (new docs/*.md files): listed by folder, so none is orphaned. */
function unlisted(): DefaultTheme.SidebarItem[] {
  const groups = new Map<string, DefaultTheme.SidebarItem[]>();
  for (const link of allPages()) {
    if (listed.has(link) || (link.endsWith('/index') && listed.has(link.slice(0, -5)))) continue;
    const folder = link.lastIndexOf('/') > 0 ? link.slice(1, link.lastIndexOf('/')) : '';
    const items = groups.get(folder) ?? [];
    items.push({ text: titleOf(link), link });
    groups.set(folder, items);
  }
  const sections: DefaultTheme.SidebarItem[] = [];
  for (const [folder, items] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const name = folder === '' ? 'More guides' : folder.charAt(0).toUpperCase() + folder.slice(1).replace(/[-/]/g, ' ');
    sections.push({ text: name, collapsed: folder !== '' && folder !== 'benchmarks', items });
  }
  return sections;
}

export default defineConfig({
  title: 'DynaMo.js',
  description: 'Dynamic multi-token sampling for language models in JavaScript: WebGPU, WASM, CUDA, CPU.',
  srcDir,
  base,
  cleanUrls: false,
  lastUpdated: false,
  // Links to pages are checked; links that leave docs/ are rewritten to the repository (links.ts).
  ignoreDeadLinks: false,
  transformPageData(pageData) {
    // The API reference is generated (scripts/prebuild.mjs): there is no markdown to edit.
    if (pageData.relativePath.startsWith('api/')) pageData.frontmatter.editLink = false;
  },
  markdown: {
    config(md) {
      repoLinks(md, { srcDir, repoRoot, repoUrl, branch: 'main' });
    },
  },
  head: [
    ['link', { rel: 'icon', type: 'image/svg+xml', href: `${base}favicon.svg` }],
    ['meta', { name: 'theme-color', content: '#3c7a89' }],
  ],
  themeConfig: {
    nav: [
      { text: 'Getting started', link: '/getting-started' },
      { text: 'Guides', link: '/architecture' },
      { text: 'Playground', link: '/playground' },
      { text: 'API', link: '/api/' },
      { text: 'Benchmarks', link: '/benchmarks/generation' },
      ...(existsSync(join(srcDir, 'eval.md')) ? [{ text: 'Evaluation', link: '/eval' }] : []),
    ],
    sidebar: [
      {
        text: 'Introduction',
        items: [
          { text: 'What is DynaMo.js?', link: '/' },
          { text: 'Getting started', link: '/getting-started' },
          { text: 'Why VitePress', link: '/about-the-docs' },
        ],
      },
      {
        text: 'Live examples',
        items: [
          { text: 'Playground', link: '/playground' },
          { text: 'Custom sampler', link: '/custom-sampler' },
        ],
      },
      { text: 'Guides', items: guides },
      { text: 'Benchmarks & evaluation', items: results },
      ...unlisted(),
      { text: 'API reference', collapsed: true, items: apiSidebar() },
    ],
    logo: '/favicon.svg',
    socialLinks: [{ icon: 'github', link: repoUrl }],
    editLink: { pattern: `${repoUrl}/edit/main/docs/:path`, text: 'Edit this page on GitHub' },
    search: { provider: 'local' },
    outline: { level: [2, 3] },
  },
  vite: {
    // Generated by scripts/prebuild.mjs: the model files and onnxruntime-web's wasm.
    publicDir: resolve(app, 'public'),
    resolve: {
      alias: [
        // The build of onnxruntime-web that loads its wasm glue from ort.env.wasm.wasmPaths (the
        // site's own /ort/), instead of the bundle that inlines it and makes Vite copy 28 MB again.
        { find: /^onnxruntime-web$/, replacement: resolve(repoRoot, 'node_modules/onnxruntime-web/dist/ort.min.mjs') },
      ],
    },
    build: { chunkSizeWarningLimit: 2000 },
    server: { fs: { allow: [repoRoot] } },
  },
});
