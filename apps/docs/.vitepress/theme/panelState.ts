import { reactive } from 'vue';

/** One forward pass of a shown generation: its text and how many tokens it emitted. */
export interface PanelPass {
  readonly text: string;
  readonly tokens: number;
}

/** What a result panel (RunPanel.vue) shows for one generation. */
export interface PanelState {
  readonly title: string;
  readonly passes: PanelPass[];
  tokens: number;
  passCount: number;
  tokensPerPass: number;
  tokensPerSecond: number;
  status: string;
  running: boolean;
  error: string;
}

/** A fresh, idle, reactive panel. */
export function newPanel(title: string): PanelState {
  return reactive({
    title,
    passes: [],
    tokens: 0,
    passCount: 0,
    tokensPerPass: 0,
    tokensPerSecond: 0,
    status: 'idle',
    running: false,
    error: '',
  });
}
