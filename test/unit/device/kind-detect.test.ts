import { describe, expect, it } from 'vitest';
import {
  detectCommand,
  judgeKind,
  pickKind,
  signatureOf,
} from '../../../src-main/core/device/kind-detect.js';
import { loadAnyProfile } from '../../../src-main/core/device/profile.js';

const r58 = loadAnyProfile('r58');
const transcoder = loadAnyProfile('transcoder');
const vms = loadAnyProfile('vms');
const sigs = (first: typeof r58) =>
  [first, ...[r58, transcoder, vms].filter((p) => p !== first)].map(signatureOf);

function out(parts: [string, number][]): string {
  return parts.map(([text, rc], i) => `@@tally-section sig:${i}\n${text}\n@@tally-rc ${rc}\n`).join('');
}

describe('what kind of box it is', () => {
  it('asks docker through sudo for the container and systemd for the units, quoting every name', () => {
    const cmd = detectCommand(sigs(transcoder)).toString();
    expect(cmd).toContain("sudo -n docker inspect --format '{{json .}}' xg2g-transcoder");
    expect(cmd).toContain('systemctl show -p LoadState,ActiveState preke-recorder');
    expect(cmd).toContain('systemctl show -p LoadState,ActiveState vms-recorder');
  });

  it('confirms a transcoder whose container exists, and gives it no VPU tabs', () => {
    const f = judgeKind(
      'd1',
      transcoder,
      sigs(transcoder),
      out([
        ['{"Name":"/xg2g-transcoder","State":{"Status":"running","Running":true}}', 0],
        ['LoadState=not-found\nActiveState=inactive', 0],
        ['LoadState=not-found\nActiveState=inactive', 0],
      ]),
    );
    expect(f).toMatchObject({ kind: 'transcoder', detected: 'transcoder', match: 'confirmed' });
    expect(f.evidence).toContain('container xg2g-transcoder: running');
    expect(f.tabs).toEqual(['overview', 'monitor', 'service', 'terminal']);
  });

  it('says a box set to R58 that runs the VMS unit is a VMS host, and what to change', () => {
    const f = judgeKind(
      'd1',
      r58,
      sigs(r58),
      out([
        ['LoadState=not-found\nActiveState=inactive', 0],
        ['Error: No such object: xg2g-transcoder', 1],
        ['LoadState=loaded\nActiveState=active', 0],
      ]),
    );
    expect(f).toMatchObject({ kind: 'r58', detected: 'vms', match: 'mismatch' });
    expect(f.summary).toContain('looks like a VMS recorder host (unit vms-recorder: active)');
    expect(f.summary).toContain('Set its profile to VMS recorder host');
  });

  it('a box with none of the signs is unknown, and a docker that needs a password is said so', () => {
    const f = judgeKind(
      'd1',
      transcoder,
      sigs(transcoder),
      out([
        ['sudo: a password is required', 1],
        ['LoadState=not-found', 0],
        ['LoadState=not-found', 0],
      ]),
    );
    expect(f.match).toBe('unknown');
    expect(f.detected).toBeNull();
    expect(f.summary).toContain('docker cannot be asked (sudo needs a password)');
  });

  it('a device set to auto takes the profile whose signature the box shows, and says so', () => {
    const { picked, finding } = pickKind(
      'd1',
      [r58, transcoder, vms],
      out([
        ['LoadState=not-found', 0],
        ['Error: No such object: xg2g-transcoder', 1],
        ['LoadState=loaded\nActiveState=active', 0],
      ]),
    );
    expect(picked?.id).toBe('vms');
    expect(finding).toMatchObject({ profile: 'auto', kind: 'vms', match: 'confirmed' });
    expect(finding.summary).toBe(
      'This box is a VMS recorder host (unit vms-recorder: active): its profile is now VMS recorder host.',
    );
  });

  it('auto with no sign of any kind picks nothing and asks for a profile', () => {
    const { picked, finding } = pickKind(
      'd1',
      [r58, transcoder, vms],
      out([
        ['', 1],
        ['', 1],
        ['', 1],
      ]),
    );
    expect(picked).toBeNull();
    expect(finding).toMatchObject({
      kind: null,
      match: 'unknown',
      tabs: ['overview', 'monitor', 'terminal'],
    });
    expect(finding.summary).toContain('Pick its profile in the device settings.');
  });
});
