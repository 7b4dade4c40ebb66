import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import svelteConfig from './svelte.config.js';

/*
 * Import boundaries. In flat config the last block that matches a file replaces the options an earlier block gave
 * the same rule, so boundaries are not stacked block by block: each scope below lists every boundary that holds for
 * its files, and `importBoundaries` builds its block. To add a boundary, define it here and add it to the list of
 * every scope it holds for (or add a scope, after the wider ones it narrows).
 *
 * A boundary is what `no-restricted-imports` checks, exact module names (`names`) or gitignore-style patterns
 * matched against the import text (`group`), plus `dynamic`: a regular expression for the same imports written as
 * `import('…')`, which that rule does not see (checked with `no-restricted-syntax`; write `/` as `\x2F`, since
 * the selector's regex cannot contain it).
 */
const ELECTRON = {
  names: ['electron'],
  dynamic: '^electron$',
  message: 'Only the Electron shell (src-main/electron/) imports Electron.',
};
const NO_TEST_CODE = {
  group: ['**/test/**'],
  dynamic: '(^|\\x2F)test\\x2F',
  message:
    'Product code imports nothing from test/. Move what it needs into product code (the emulator lives in ' +
    'src-main/emulator/) and let the tests import it from there.',
};
const RENDERER_THROUGH_CONTRACT = {
  group: ['**/src-main/core/**', '**/src-main/web/**', '**/src-main/electron/**', 'node:*'],
  dynamic: 'src-main\\x2F(core|web|electron)\\x2F|^node:',
  message: 'The renderer reaches the core only through src-renderer/lib/client.ts and the contract.',
};

/*
 * A capability (a folder of src-main/core: recorder, monitor, previews, …) stands on the shared floor and never
 * on another capability's internals, so each can change without breaking the others. What two of them need moves
 * down into the floor. The floor: the device-access layer, ssh, the store, the audit log and the media model.
 */
const FLOOR = ['device', 'ssh', 'store', 'audit', 'media'];
const CAPABILITIES = readdirSync(new URL('./src-main/core/', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory() && !FLOOR.includes(d.name))
  .map((d) => d.name);

/** From src-main/core/<capability>/: a sibling folder that is not the floor, or a file of core itself. */
function ownCapability(name) {
  const allowed = [name, ...FLOOR].join('|');
  const sibling = `^\\.\\./(?!(?:${allowed})/)[A-Za-z0-9_-]+(?:/|\\.js$)`;
  return {
    regex: [sibling, '^\\.\\./\\.\\./core/'],
    dynamic: sibling.replaceAll('/', '\\x2F'),
    message:
      `src-main/core/${name}/ is a capability: it imports the shared floor (${FLOOR.join(', ')}) and the ` +
      'contract, never another capability or the Console. Move what both need down into the floor.',
  };
}

/** One scope's block: `files` (minus `ignores`) may import nothing that `boundaries` forbid, statically or not. */
function importBoundaries({ files, ignores = [], boundaries }) {
  return {
    files,
    ignores,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: boundaries.flatMap(({ names = [], message }) => names.map((name) => ({ name, message }))),
          patterns: [
            ...boundaries.filter(({ group }) => group).map(({ group, message }) => ({ group, message })),
            ...boundaries
              .filter(({ regex }) => regex)
              .flatMap(({ regex, message }) => regex.map((r) => ({ regex: r, message }))),
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        ...boundaries.map(({ dynamic, message }) => ({
          selector: `ImportExpression > Literal.source[value=/${dynamic}/]`,
          message,
        })),
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['out/', 'dist/', 'node_modules/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'], svelteConfig },
    },
  },
  importBoundaries({ files: ['bin/**', 'src-main/electron/**'], boundaries: [NO_TEST_CODE] }),
  importBoundaries({
    files: ['src-main/**'],
    ignores: ['src-main/electron/**'],
    boundaries: [ELECTRON, NO_TEST_CODE],
  }),
  ...CAPABILITIES.map((name) =>
    importBoundaries({
      files: [`src-main/core/${name}/**`],
      boundaries: [ELECTRON, NO_TEST_CODE, ownCapability(name)],
    }),
  ),
  importBoundaries({
    files: ['src-renderer/**'],
    boundaries: [ELECTRON, NO_TEST_CODE, RENDERER_THROUGH_CONTRACT],
  }),
);
