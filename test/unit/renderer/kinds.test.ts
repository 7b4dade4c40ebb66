/**
 * Device kinds in the renderer: which tabs a box has, what the Overview offers when it looks like another kind, the
 * device form's profile choices, the kind's own Load figure in the status strip and the fleet row, the CPU warning
 * from the device's limits, and a transcoder whose health fails coming first in a mixed fleet sorted worst first.
 */
import { describe, expect, it } from 'vitest';
import type { KindFinding, ProfileChoice } from '../../../src-main/contract/index.js';
import { compareWorst } from '../../../src-renderer/fleet-view/fleet-order.js';
import { mixedKinds } from '../../../src-renderer/fleet-view/fleet-row.js';
import {
  kindOf,
  profileOptions,
  profileSwitch,
  shownTab,
  tabsOfDevice,
} from '../../../src-renderer/lib/kinds.js';
import { transcoderLoad, vmsLoad } from '../../../src-renderer/lib/status-strip/load.js';
import { CONNECTED, LIMITS, NOW, alarm, box, history } from './fleet-view-fixtures.js';
import { camera, healthSample, vmsState } from './kinds-fixtures.js';

const PROFILES: ProfileChoice[] = [
  { id: 'r58', kind: 'r58', name: 'Rockchip RK3588 R58 recorder' },
  { id: 'transcoder', kind: 'transcoder', name: 'GPU transcoder (xg2g, seed 003)' },
  { id: 'vms', kind: 'vms', name: 'VMS recorder host (seed 004)' },
];

function finding(over: Partial<KindFinding> = {}): KindFinding {
  return {
    deviceId: 'd1',
    at: '2026-11-21T14:09:00Z',
    profile: 'r58',
    kind: 'r58',
    detected: 'transcoder',
    match: 'mismatch',
    evidence: ['container xg2g-transcoder: running', 'unit preke-recorder: not found'],
    summary:
      'This box looks like a GPU transcoder (container xg2g-transcoder: running), but its profile is R58 recorder.',
    tabs: ['overview', 'monitor', 'recorder', 'previews', 'mixer', 'terminal'],
    ...over,
  };
}

const NON_R58_LIMITS = { ...LIMITS, vpuSafe: null, vpuPractical: null, cpuWarnPercent: 50 };

describe('which tabs a box has', () => {
  const device = (profile: string) => ({ id: 'd1', profile });

  it("follows its profile's kind before the console has looked at it", () => {
    expect(tabsOfDevice(device('r58'), PROFILES, null)).toEqual([
      'overview',
      'monitor',
      'recorder',
      'previews',
      'mixer',
      'terminal',
    ]);
    expect(tabsOfDevice(device('transcoder'), PROFILES, null)).toEqual([
      'overview',
      'monitor',
      'service',
      'terminal',
    ]);
    expect(tabsOfDevice(device('vms'), PROFILES, null)).not.toContain('recorder');
    expect(tabsOfDevice(device('vms'), PROFILES, null)).toContain('service');
  });

  it('takes the finding once there is one (a profile without a mixer has no Mixer tab)', () => {
    const noMixer = finding({
      match: 'confirmed',
      detected: 'r58',
      tabs: ['overview', 'monitor', 'terminal'],
    });
    expect(tabsOfDevice(device('r58'), PROFILES, noMixer)).toEqual(['overview', 'monitor', 'terminal']);
  });

  it('ignores a finding about the profile the device had before it was changed', () => {
    const old = finding({ profile: 'r58', kind: 'r58' });
    expect(kindOf(device('vms'), PROFILES, old)).toBe('vms');
    expect(tabsOfDevice(device('vms'), PROFILES, old)).toContain('service');
  });

  it('has only the common screens while a box set to auto has not been looked at', () => {
    expect(tabsOfDevice(device('auto'), PROFILES, null)).toEqual(['overview', 'monitor', 'terminal']);
    const found = finding({
      profile: 'auto',
      kind: 'vms',
      detected: 'vms',
      match: 'confirmed',
      tabs: ['overview', 'monitor', 'service', 'terminal'],
    });
    expect(tabsOfDevice(device('auto'), PROFILES, found)).toContain('service');
  });

  it('is an R58 when the profile list has not arrived (the default profile)', () => {
    expect(kindOf(device('r58'), [], null)).toBe('r58');
  });

  it('shows the Overview when the tab asked for is not one of this box', () => {
    const tabs = tabsOfDevice(device('transcoder'), PROFILES, null);
    expect(shownTab('recorder', tabs)).toBe('overview');
    expect(shownTab('mixer', tabs)).toBe('overview');
    expect(shownTab('service', tabs)).toBe('service');
  });
});

describe('a box that is not what its profile says', () => {
  it('is offered the profile of the kind it looks like', () => {
    expect(profileSwitch(finding(), PROFILES)).toEqual({
      profileId: 'transcoder',
      kind: 'transcoder',
      label: 'Use the GPU transcoder profile',
      text: finding().summary,
    });
  });

  it('is offered nothing when it is what it says, looks like nothing known, or no profile of that kind exists', () => {
    expect(profileSwitch(finding({ match: 'confirmed', detected: 'r58' }), PROFILES)).toBeNull();
    expect(profileSwitch(finding({ match: 'unknown', detected: null }), PROFILES)).toBeNull();
    expect(profileSwitch(finding(), PROFILES.slice(0, 1))).toBeNull();
    expect(profileSwitch(null, PROFILES)).toBeNull();
  });
});

describe("the device form's profile choice", () => {
  it('lists every profile by name, and keeps a profile the core no longer lists', () => {
    expect(profileOptions(PROFILES, 'r58').map((o) => o.id)).toEqual(['r58', 'transcoder', 'vms', 'auto']);
    expect(profileOptions(PROFILES, 'r58')[1]?.text).toBe('GPU transcoder (xg2g, seed 003)');
    expect(profileOptions(PROFILES, 'studio-x').at(-1)).toEqual({
      id: 'studio-x',
      text: 'studio-x (not found)',
    });
  });
});

describe("a kind's own load figure", () => {
  it("is a transcoder's GPU busy percent against seed 003's target", () => {
    expect(transcoderLoad(healthSample())).toMatchObject({ text: 'GPU 45 %', level: 'ok', fill: 0.45 });
    expect(transcoderLoad(healthSample({ gpuBusyPercent: 91 }))).toMatchObject({
      text: 'GPU 91 %',
      level: 'warn',
      reason: 'GPU at 91 %',
    });
    expect(transcoderLoad(healthSample({ gpuBusyPercent: null }))).toBeNull();
    expect(transcoderLoad(undefined)).toBeNull();
  });

  it("is how many of a VMS host's cameras record on schedule, with NVENC sessions when the card says", () => {
    expect(vmsLoad(vmsState())).toMatchObject({
      text: '2/2 on schedule',
      short: '2/2',
      level: 'ok',
      fill: 1,
    });
    const late = vmsState({ cameras: [camera('a'), camera('b', { late: true })] });
    expect(vmsLoad(late)).toMatchObject({
      text: '1/2 on schedule',
      level: 'warn',
      reason: '1 of 2 cameras not recording',
    });
    const down = vmsState({ cameras: [camera('a', { state: 'down', pids: [] })] });
    expect(vmsLoad(down)).toMatchObject({ level: 'bad', fill: 0 });
    const nv = vmsState({
      nvidia: { ...vmsState().nvidia, present: true, sessions: 4, sessionLimit: 8, problem: null },
    });
    expect(vmsLoad(nv)?.label).toBe('2 of 2 cameras recording on schedule; NVENC 4 sessions of 8');
  });
});

describe('the status strip and the fleet row of the new kinds', () => {
  const transcoder = (over: Parameters<typeof box>[0]) =>
    box({
      kind: 'transcoder',
      limits: NON_R58_LIMITS,
      samples: history(10, () => ({
        vpu: { source: null, total: null, encoders: null, decoders: null, byProcess: [] },
      })),
      ...over,
    });

  it('show the GPU as the Load, no VPU, and the kind as a badge', () => {
    const row = transcoder({ name: 'xg2g', load: transcoderLoad(healthSample()) });
    expect(row.vpu).toBeNull();
    expect(row.load).toMatchObject({ text: '45 %', tone: 'ok', fill: 0.45 });
    expect(row.kind).toEqual({ kind: 'transcoder', text: 'Transcoder', label: 'Kind: GPU transcoder' });
    expect(box({ name: 'r58' }).kind.text).toBe('R58');
    expect(box({ name: 'r58' }).load).toBeNull();
  });

  it('grey a load reading that stopped arriving, and say how old it is', () => {
    const row = transcoder({ name: 'xg2g', load: transcoderLoad(healthSample({ at: NOW - 30_000 })) });
    expect(row.load?.tone).toBe('idle');
    expect(row.load?.label).toMatch(/\(30 s ago\)\.$/);
  });

  it("warn on CPU at the device's own limit, not the R58's", () => {
    const at = (cpu: number, limits: Parameters<typeof box>[0]['limits']) =>
      box({ name: 'b', limits, samples: history(5, () => ({ cpuPercent: cpu })) });
    expect(at(60, NON_R58_LIMITS).cpu?.tone).toBe('warn');
    expect(at(60, NON_R58_LIMITS).health).toBe('warning');
    expect(at(60, LIMITS).cpu?.tone).toBe('ok');
    // The VMS host budgets CPU per camera: no whole-box warning.
    expect(at(95, { ...NON_R58_LIMITS, cpuWarnPercent: null }).cpu?.tone).toBe('ok');
  });

  it('put a transcoder whose health fails first in a mixed fleet sorted worst first', () => {
    const fleet = [
      box({ name: 'a-r58' }),
      box({
        name: 'b-vms',
        kind: 'vms',
        limits: { ...NON_R58_LIMITS, cpuWarnPercent: null },
        load: vmsLoad(vmsState()),
        alarms: [alarm({ kind: 'cpu_over_budget', severity: 'warning', title: 'CPU over budget' })],
      }),
      transcoder({
        name: 'c-xg2g',
        load: transcoderLoad(healthSample({ healthy: false, httpStatus: 503 })),
        alarms: [
          alarm({
            kind: 'health_failing',
            severity: 'critical',
            title: 'c-xg2g: health failing (HTTP 503)',
            lastAt: '2026-11-21T14:09:30Z',
          }),
        ],
      }),
    ];
    const sorted = [...fleet].sort(compareWorst).map((r) => r.name);
    expect(sorted).toEqual(['c-xg2g', 'b-vms', 'a-r58']);
    expect(fleet[2]?.health).toBe('alarm');
    expect(fleet[2]?.alarm?.text).toBe('Health failing');
  });

  it('badge the kind only in a fleet of more than one kind', () => {
    expect(mixedKinds([box({ name: 'a' }), box({ name: 'b' })])).toBe(false);
    expect(mixedKinds([box({ name: 'a' }), box({ name: 'b', kind: 'vms' })])).toBe(true);
    expect(mixedKinds([])).toBe(false);
  });

  it('keep the connected state for the new kinds as for the R58', () => {
    expect(transcoder({ name: 'x', status: CONNECTED }).link.text).toMatch(/^Connected/);
  });
});
