import { existsSync, statSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import type { MarkdownRenderer } from 'vitepress';

export interface RepoLinkOptions {
  /** The folder the site renders (docs/). */
  readonly srcDir: string;
  /** The repository root. */
  readonly repoRoot: string;
  /** e.g. https://github.com/dynamojs/dynamojs */
  readonly repoUrl: string;
  readonly branch: string;
}

/**
 * The markdown in docs/ is written to be read on GitHub too, so it links to source files with
 * relative paths (`../packages/onnx/src/web.ts`). Those leave the site: rewrite them to the
 * repository's URL, and leave every link inside docs/ to VitePress (which checks them).
 */
export function repoLinks(md: MarkdownRenderer, options: RepoLinkOptions): void {
  md.core.ruler.push('dynamojs-repo-links', (state) => {
    const env = state.env as { realPath?: string; path?: string };
    const file = env.realPath ?? env.path;
    if (!file) return;
    for (const block of state.tokens) {
      for (const token of block.children ?? []) {
        if (token.type !== 'link_open') continue;
        const href = token.attrGet('href');
        if (!href || /^([a-z][a-z0-9+.-]*:|#|\/)/i.test(href)) continue;
        const [path = '', hash = ''] = href.split(/(?=#)/);
        const target = resolve(dirname(file), decodeURIComponent(path));
        const inside = target === options.srcDir || target.startsWith(options.srcDir + sep);
        if (inside) continue;
        const rel = relative(options.repoRoot, target).split(sep).join('/');
        if (rel.startsWith('..')) continue;
        const kind = existsSync(target) && statSync(target).isDirectory() ? 'tree' : 'blob';
        token.attrSet('href', `${options.repoUrl}/${kind}/${options.branch}/${rel}${hash}`);
      }
    }
  });
}
