import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeviceInput } from '../../src-main/contract/index.js';
import { emptyForm, splitFieldErrors, toDeviceInput } from '../../src-renderer/lib/device-form.js';
import { AckBatcher } from '../../src-renderer/terminal/ack-batcher.js';

describe('terminal acknowledgements (renderer side of flow control)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('acknowledges in batches at the threshold, and the remainder after a quiet moment', () => {
    const sent: number[] = [];
    const acks = new AckBatcher((n) => sent.push(n), 1000, 25);
    for (let i = 0; i < 25; i++) acks.written(100);
    expect(sent).toEqual([1000, 1000]);
    vi.advanceTimersByTime(30);
    expect(sent).toEqual([1000, 1000, 500]);
  });

  it('never acknowledges more than was written, and nothing after the terminal closed', () => {
    const sent: number[] = [];
    const acks = new AckBatcher((n) => sent.push(n), 1000, 25);
    acks.written(300);
    acks.dispose();
    acks.written(300);
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([]);
  });
});

describe('device form → contract input', () => {
  const base = { ...emptyForm(), name: 'studio', host: 'r58.local' };

  it('produces input the contract accepts, with secrets omitted when left empty (keep what is stored)', () => {
    const input = toDeviceInput({ ...base, authKind: 'password' });
    expect(DeviceInput.safeParse(input).success).toBe(true);
    expect(input.auth).toEqual({ kind: 'password' });
    expect(
      toDeviceInput({ ...base, authKind: 'identityFile', identityPath: '~/.ssh/k', clearPassphrase: true })
        .auth,
    ).toEqual({
      kind: 'identityFile',
      path: '~/.ssh/k',
      passphrase: '',
    });
  });

  it('passes a non-numeric port through, so the core explains it next to the field', () => {
    const input = toDeviceInput({ ...base, port: 'ssh' });
    const parsed = DeviceInput.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['port']);
  });

  it('places field errors by path and keeps the rest for the general alert', () => {
    const { placed, other } = splitFieldErrors({
      host: 'Use a hostname',
      'auth.kind': 'Pick one',
      weird: 'x',
      _: 'general',
    });
    expect(placed).toEqual({ host: 'Use a hostname', 'auth.kind': 'Pick one', auth: 'Pick one' });
    expect(other).toEqual(['weird: x', 'general']);
  });
});
