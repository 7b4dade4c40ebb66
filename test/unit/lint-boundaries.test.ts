/**
 * The import boundaries in eslint.config.js, checked through ESLint's Node API on fixture text placed at product
 * and test paths (nothing is written to disk): `npm run lint` fails when product code imports test code, or
 * when the renderer reaches around the contract.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const eslint = new ESLint({ cwd: ROOT });

const NO_TEST_CODE = 'Product code imports nothing from test/.';
const THROUGH_CONTRACT = 'The renderer reaches the core only through src-renderer/lib/client.ts';
const ELECTRON = 'Only the Electron shell (src-main/electron/) imports Electron.';

const BOUNDARY_RULES = new Set(['no-restricted-imports', 'no-restricted-syntax']);

/** The import-boundary messages ESLint gives `code` if it were the file at `filePath` (repo-relative). */
async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const results = await eslint.lintText(code, { filePath: path.join(ROOT, filePath) });
  return results.flatMap((r) =>
    r.messages.filter((m) => m.ruleId !== null && BOUNDARY_RULES.has(m.ruleId)).map((m) => m.message),
  );
}

const importing = (from: string): string => `import { until } from '${from}';\nexport const x = until;\n`;

describe('product code imports nothing from test/', () => {
  it.each([
    ['src-main/core/recorder/x.ts', '../../../test/fixtures/until.js'],
    ['src-main/emulator/device/x.ts', '../../../test/fixtures/until.js'],
    ['src-main/electron/x.ts', '../../test/fixtures/until.js'],
    ['src-main/cli-x.ts', '../test/e2e/harness.js'],
    ['src-renderer/lib/x.ts', '../../test/fixtures/until.js'],
    ['bin/x.mjs', '../test/fixtures/until.js'],
  ])('%s importing %s fails lint', async (file, from) => {
    const messages = await restrictedImports(file, importing(from));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`'${from}' import is restricted`);
    expect(messages[0]).toContain(NO_TEST_CODE);
  });

  it.each([
    ['a re-export', `export { until } from '../../test/fixtures/until.js';\n`],
    ['a dynamic import', `export const load = () => import('../../test/fixtures/until.js');\n`],
  ])('%s from test/ fails lint too', async (_what, code) => {
    const messages = await restrictedImports('src-main/core/x.ts', code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(NO_TEST_CODE);
  });

  it.each([
    ['test/integration/x.test.ts', '../fixtures/until.js'],
    ['test/unit/recorder/x.test.ts', '../../fixtures/until.js'],
    ['test/integration/x.test.ts', '../../src-main/emulator/index.js'],
    ['src-main/core/x.ts', '../emulator/index.js'],
  ])('%s importing %s is fine', async (file, from) => {
    expect(await restrictedImports(file, importing(from))).toEqual([]);
  });
});

describe('the boundaries that were there before still hold', () => {
  it.each([
    importing('../../src-main/core/console.js'),
    `export const load = () => import('../../src-main/web/web-server.js');\n`,
    `import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n`,
  ])('the renderer reaches the core only through the contract: %s', async (code) => {
    const messages = await restrictedImports('src-renderer/lib/x.ts', code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(THROUGH_CONTRACT);
  });

  it.each(['src-main/core/x.ts', 'src-renderer/lib/x.ts'])('%s may not import Electron', async (file) => {
    const messages = await restrictedImports(
      file,
      `import { app } from 'electron';\nexport const a = app;\n`,
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(ELECTRON);
  });

  it('a module of the Electron shell by path is not Electron', async () => {
    expect(await restrictedImports('src-main/cli-x.ts', importing('./electron/paths.js'))).toEqual([]);
  });

  it('the Electron shell may', async () => {
    expect(
      await restrictedImports(
        'src-main/electron/x.ts',
        `import { app } from 'electron';\nexport const a = app;\n`,
      ),
    ).toEqual([]);
  });
});

describe('a capability in src-main/core stands on the shared floor, never on another capability', () => {
  const CAPABILITY = 'is a capability: it imports the shared floor';
  const importingClass = (from: string): string => `import { X } from '${from}';\nexport const x = X;\n`;

  it.each([
    ['src-main/core/recorder/x.ts', '../monitor/monitor-service.js'],
    ['src-main/core/previews/x.ts', '../recorder/cameras.js'],
    ['src-main/core/vpu-reset/x.ts', '../pipelines/adhoc-jobs.js'],
    ['src-main/core/monitor/x.ts', '../console.js'],
  ])('%s importing %s fails lint', async (file, from) => {
    const messages = await restrictedImports(file, importingClass(from));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(CAPABILITY);
  });

  it('a dynamic import of another capability fails lint too', async () => {
    const messages = await restrictedImports(
      'src-main/core/recorder/x.ts',
      `export const load = () => import('../previews/preview-service.js');\n`,
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(CAPABILITY);
  });

  it.each([
    ['src-main/core/recorder/x.ts', '../device/lease.js'],
    ['src-main/core/recorder/x.ts', '../media/presets.js'],
    ['src-main/core/recorder/x.ts', './cameras.js'],
    ['src-main/core/previews/x.ts', '../ssh/connection-manager.js'],
    ['src-main/core/monitor/x.ts', '../../contract/index.js'],
    ['src-main/core/console.ts', './recorder/recorder-feature.js'],
  ])('%s importing %s is fine', async (file, from) => {
    expect(await restrictedImports(file, importingClass(from))).toEqual([]);
  });
});
