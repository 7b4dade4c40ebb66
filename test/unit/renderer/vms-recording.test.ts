import { describe, expect, it } from 'vitest';
import { ALARM_SHORT } from '../../../src-renderer/alarms/alarm-order.js';
import { computeGlance } from '../../../src-renderer/lib/status-strip/glance.js';
import { vmsRecordings } from '../../../src-renderer/lib/status-strip/load.js';
import { CONNECTED, NOW } from './fleet-view-fixtures.js';
import { camera, vmsState } from './kinds-fixtures.js';

describe('a VMS host records through its cameras', () => {
  const glance = (state = vmsState(), status = CONNECTED) =>
    computeGlance({
      name: 'vms-1',
      status,
      recorder: vmsRecordings(state),
      reading: undefined,
      limits: undefined,
      alarms: [],
      alarmShort: ALARM_SHORT,
      now: NOW,
    });

  it('shows REC with the cameras whose process runs', () => {
    const g = glance(
      vmsState({
        cameras: [camera('Duc_Tai_Dendo_1'), camera('Duc_Tai_Dendo_2', { state: 'down', pids: [] })],
      }),
    );
    expect(g.rec?.text).toBe('REC · Duc_Tai_Dendo_1');
    expect(g.rec?.label).toBe('Recording 1 camera (Duc_Tai_Dendo_1).');
  });

  it('shows no REC when every camera is down, and none before the first reading', () => {
    expect(
      glance(vmsState({ cameras: [camera('Duc_Tai_Dendo_1', { state: 'down', pids: [] })] })).rec,
    ).toBeNull();
    expect(vmsRecordings(undefined)).toBeUndefined();
  });
});
