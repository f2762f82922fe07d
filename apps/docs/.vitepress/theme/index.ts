import type { Theme } from 'vitepress';
import DefaultTheme from 'vitepress/theme';
import Playground from './components/Playground.vue';
import SamplerLab from './components/SamplerLab.vue';
import './custom.css';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('Playground', Playground);
    app.component('SamplerLab', SamplerLab);
  },
} satisfies Theme;
