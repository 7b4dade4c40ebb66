import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { EMULATOR_ENTRIES } from './src-main/emulator/entries.js';

/** The emulator's own Node processes, built beside the CLI so a built emulator starts built children. */
const emulatorInputs = Object.fromEntries(
  Object.entries(EMULATOR_ENTRIES).map(([name, source]) => [name, resolve(source)]),
);

export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve('src-main/electron/main.ts'),
          // The `tally` command (bin/tally.mjs runs it from out/main/cli.js, not through tsx).
          cli: resolve('src-main/cli.ts'),
          ...emulatorInputs,
        },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload must be CommonJS.
      rollupOptions: {
        input: { index: resolve('src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src-renderer',
    build: {
      rollupOptions: { input: { index: resolve('src-renderer/index.html') } },
    },
    plugins: [svelte({ configFile: resolve('svelte.config.js') })],
  },
});
