import { DEFAULT_TREE_HEAD_ROWS } from '../../defaults.js';
import type { ResolvedOptions } from '../../resolvedOptions.js';
import type { ScoredChunk } from './draftLayout.js';
import { PrefixViews } from './prefixViews.js';

/**
 * Which chunk nodes get the extra heads' rows in a verification pass (`options.headPositions`): a
 * chain keeps its `headRows` ('all' or 'last', or the R likeliest end nodes); a tree gets the R
 * nodes where acceptance most likely stops — P(stop at v) = score(v) − Σ score(children of v),
 * from the draft's `scores` (every node when the draft has none). Owns its scratch and the list
 * it returns (a reused view, valid until the next plan).
 */
export class HeadRowPlanner {
  private readonly chainRows: 'all' | 'last' | number;
  private readonly treeRows: 'all' | number;
  /** The chosen nodes (increasing), and each node's P(stop here). */
  private list = new Int32Array(16);
  private end = new Float64Array(16);
  private readonly listViews = new PrefixViews();

  constructor(headRows: ResolvedOptions['headRows']) {
    this.chainRows = headRows === 'auto' ? 'all' : headRows;
    this.treeRows = headRows === 'auto' ? DEFAULT_TREE_HEAD_ROWS : headRows === 'last' ? 1 : headRows;
  }

  plan(chunk: ScoredChunk): 'all' | 'last' | Int32Array {
    const n = chunk.length;
    const rows = chunk.isTree ? this.treeRows : this.chainRows;
    if (rows === 'all' || rows === 'last') return rows;
    // without the drafter's scores there is no telling where acceptance stops: every node
    if (rows >= n || !chunk.scored) return 'all';
    if (this.end.length < n) {
      const size = Math.max(n, this.end.length * 2);
      this.end = new Float64Array(size);
      this.list = new Int32Array(size);
    }
    const end = this.end;
    for (let c = 0; c < n; c++) end[c] = chunk.score(c);
    for (let c = 1; c < n; c++) {
      const p = chunk.parent(c);
      end[p] = (end[p] as number) - chunk.score(c);
    }
    // the R best end nodes: insertion into a list sorted by descending end score (ties: the
    // earlier node), then back into increasing node order
    const list = this.list;
    let size = 0;
    for (let c = 0; c < n; c++) {
      const e = end[c] as number;
      if (size === rows && e <= (end[list[size - 1] as number] as number)) continue;
      let i = size < rows ? size++ : size - 1;
      while (i > 0 && (end[list[i - 1] as number] as number) < e) {
        list[i] = list[i - 1] as number;
        i--;
      }
      list[i] = c;
    }
    const view = this.listViews.of(list, size);
    view.sort();
    return view;
  }
}
