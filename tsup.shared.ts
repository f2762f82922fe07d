import { defineConfig, type Options } from 'tsup';

/**
 * The one build every @dynamojs package uses: ESM + CJS + .d.ts/.d.cts, ES2022, tree-shakeable.
 * A package's tsup.config.ts calls this with its entry points.
 */
export function dynamoBuild(overrides: Partial<Options> = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    splitting: false,
    treeshake: true,
    outDir: 'dist',
    ...overrides,
  });
}
