/**
 * The live monitor, as a producer meets it, in Chromium against the web console and an emulated R58 with four
 * cameras: the VPU count on the fleet list and on the Monitor's chart, an Oops from the seeds' panic config raised
 * as an alarm visible on the fleet screen, the kernel log filtered to the Oops with its call trace, the shown
 * lines exported to a file, and the alarm acknowledged away. Elements are found by role and accessible name.
 */
import { promises as fs } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { screenshot, type BrowserSession } from './harness.js';
import { PANIC_PIPELINE, addEmulatedDevice, runOnDevice, useEmulatedConsole } from './monitor-steps.js';
import { WAIT } from './steps.js';

const ok = await emulatorAvailable();
const DEVICE = 'studio-r58';
/** Pipelines start and the first samples arrive after connecting; generous, never asserted on. */
const LIVE = { timeout: 60_000 };

let emu: Emulator | undefined;
let session: BrowserSession | undefined;
let page: Page;
useEmulatedConsole(
  ok,
  () => startEmulator({ cameras: 4 }),
  (s) => ({ emu, session, page } = s),
);

const fleet = (): Locator => page.getByRole('complementary', { name: 'Fleet' });
const monitorPanel = (): Locator => page.getByRole('tabpanel', { name: 'Monitor' });
const oopsAlert = (): Locator => page.getByRole('alert', { name: new RegExp(`^${DEVICE}: .*Oops`) });
const kernelLog = (): Locator => monitorPanel().getByRole('listbox', { name: `Kernel log of ${DEVICE}` });

describe.skipIf(!ok)('live monitor', () => {
  it('connects the emulated R58 and shows its four VPU sessions against the limit in the fleet list', async () => {
    if (!emu) throw new Error('no emulator');
    await addEmulatedDevice(page, emu, DEVICE);
    // Four cameras, each recording with the proven hardware encoder: four sessions; the R58's practical limit is 8.
    await fleet().getByText('VPU 4/8', { exact: true }).waitFor(LIVE);
  });

  it('charts the VPU sessions, CPU and temperature on the Monitor tab', async () => {
    await page.getByRole('tab', { name: 'Monitor' }).click();
    const vpu = monitorPanel().getByRole('figure', { name: 'VPU sessions' });
    await vpu.getByText('VPU sessions: 4', { exact: true }).waitFor(LIVE);
    await vpu.getByRole('img', { name: 'VPU sessions over time' }).waitFor(LIVE);
    expect(await vpu.locator('canvas').count()).toBe(1);
    await monitorPanel()
      .getByRole('figure', { name: 'CPU' })
      .getByText(/^CPU: \d+ %$/)
      .waitFor(LIVE);
    await monitorPanel().getByRole('figure', { name: 'Temperature' }).waitFor(WAIT);
    await kernelLog().getByRole('option').first().waitFor(LIVE);
    await screenshot(page, 'monitor-charts-and-log');
  });

  it('raises an alarm naming the device and the Oops on the fleet screen when the panic config runs', async () => {
    if (!emu) throw new Error('no emulator');
    await page.getByRole('tab', { name: 'Overview' }).click();
    await runOnDevice(emu, PANIC_PIPELINE);
    await oopsAlert().waitFor(LIVE);
    // The fleet list names the worst open alarm next to the device.
    await fleet()
      .getByRole('button', { name: DEVICE, exact: true })
      .getByText('Oops', { exact: true })
      .waitFor(WAIT);
    await screenshot(page, 'monitor-alarm-on-fleet');
  });

  it('filters the kernel log to the Oops category: the headline and its call trace', async () => {
    await page.getByRole('tab', { name: 'Monitor' }).click();
    await monitorPanel().getByRole('checkbox', { name: 'Oops' }).check();
    // Following, the log shows the end of the report: its call trace.
    await kernelLog()
      .getByRole('option', { name: /Call trace:/ })
      .waitFor(LIVE);
    await kernelLog()
      .getByRole('option', { name: /rkvenc2_set_rc_cfg\+0x1c8\/0x4b0/ })
      .first()
      .waitFor(WAIT);
    // The report's own entry leads to its first lines, the headline among them, and selects the first.
    await monitorPanel()
      .getByRole('button', { name: /^Show Oops report Internal error: Oops: \w+ \[#1\] SMP in the log$/ })
      .click();
    await kernelLog()
      .getByRole('option', { name: /Internal error: Oops: \w+ \[#1\] SMP/ })
      .waitFor(WAIT);
    const selected = monitorPanel().getByRole('region', { name: 'Selected kernel line' });
    await selected.getByText(/^Internal error: Oops: \w+ \[#1\] SMP$/).waitFor(WAIT);
    await selected.getByRole('listitem').filter({ hasText: 'rkvenc2_set_rc_cfg+0x1c8/0x4b0' }).waitFor(WAIT);
    // Nothing outside the report is shown.
    expect(
      await kernelLog()
        .getByRole('option', { name: /probe success/ })
        .count(),
    ).toBe(0);
    await screenshot(page, 'monitor-log-oops-filter');
  });

  it('jumps from alarm line to alarm line with Next alarm', async () => {
    await monitorPanel().getByRole('checkbox', { name: 'Oops' }).uncheck();
    await kernelLog().focus();
    await page.keyboard.press('Home');
    await monitorPanel().getByRole('button', { name: 'Next alarm' }).click();
    // The first alarm line is the Oops report's first line (the boot log has none).
    await kernelLog()
      .getByRole('option', { name: /Unable to handle kernel NULL pointer dereference/, selected: true })
      .waitFor(WAIT);
    await monitorPanel().getByRole('checkbox', { name: 'Oops' }).check();
  });

  it('exports the shown lines to a file', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download', WAIT),
      monitorPanel().getByRole('button', { name: 'Export shown lines' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^tally-kernel-${DEVICE}-\\d{8}-\\d{6}\\.log$`));
    const file = await download.path();
    const text = await fs.readFile(file, 'utf8');
    expect(text).toContain(`# device: ${DEVICE}`);
    expect(text).toContain('# filter: categories Oops');
    expect(text).toMatch(/Internal error: Oops: \w+ \[#1\] SMP/);
    expect(text).toContain('Call trace:');
    expect(text).toContain(' rkvenc2_set_rc_cfg+0x1c8/0x4b0');
    expect(text).not.toContain('probe success');
  });

  it("leads from the VPU fault to the device's emergency VPU reset (a guarded dialog over its Overview)", async () => {
    await page.getByRole('tab', { name: 'Monitor' }).click();
    await oopsAlert()
      .getByRole('button', { name: `Emergency VPU reset for ${DEVICE}` })
      .click();
    const dialog = page.getByRole('dialog', { name: `Emergency VPU reset on ${DEVICE}` });
    await dialog.getByRole('button', { name: `Hold to reset ${DEVICE}` }).waitFor(WAIT);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden', ...WAIT });
    await page.getByRole('tab', { name: 'Overview', selected: true }).waitFor(WAIT);
  });

  it('moves between the three tabs with the arrow keys', async () => {
    await page.getByRole('tab', { name: 'Overview' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.getByRole('tab', { name: 'Monitor', selected: true }).waitFor(WAIT);
    expect(
      await page.getByRole('tab', { name: 'Monitor' }).evaluate((el) => el === document.activeElement),
    ).toBe(true);
    await page.keyboard.press('ArrowLeft');
    await page.getByRole('tab', { name: 'Overview', selected: true }).waitFor(WAIT);
    await page.keyboard.press('ArrowRight');
    await page.getByRole('tab', { name: 'Monitor', selected: true }).waitFor(WAIT);
    await page.keyboard.press('Home');
    await page.getByRole('tab', { name: 'Overview', selected: true }).waitFor(WAIT);
    // From the first tab, left wraps to the last.
    await page.keyboard.press('ArrowLeft');
    await page.getByRole('tab', { name: 'Terminal', selected: true }).waitFor(WAIT);
  });

  it('keeps the alarm until the producer acknowledges it, then the bar lets it go', async () => {
    await oopsAlert().waitFor(WAIT);
    await page.getByRole('button', { name: new RegExp(`^Acknowledge ${DEVICE}: .*Oops`) }).click();
    await oopsAlert().waitFor({ state: 'detached', ...WAIT });
    await fleet()
      .getByRole('button', { name: DEVICE, exact: true })
      .getByText('Oops', { exact: true })
      .waitFor({ state: 'detached', ...WAIT });
  });

  it('saw no script errors or CSP violations', () => {
    const real = (session?.problems ?? []).filter(
      (p) => !/frame-ancestors.*ignored when delivered via a <meta>/.test(p),
    );
    expect(real).toEqual([]);
  });
});
