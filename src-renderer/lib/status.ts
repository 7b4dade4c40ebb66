import type { ConnectionState, DeviceStatus, DeviceView } from '../../src-main/contract/index.js';

/** Words for each state: the badge never relies on colour alone. */
export const STATE_LABEL: Record<ConnectionState, string> = {
  connecting: 'Connecting',
  connected: 'Connected',
  degraded: 'Degraded',
  disconnected: 'Disconnected',
  auth_failed: 'Auth failed',
  hostkey_mismatch: 'Host key mismatch',
  unreachable: 'Unreachable',
  hostkey_unknown: 'Needs trust',
};

/** A colour family per state, used as a CSS class (`tone-ok`, `tone-warn`…). */
export type Tone = 'ok' | 'busy' | 'warn' | 'bad' | 'idle' | 'ask';

export const STATE_TONE: Record<ConnectionState, Tone> = {
  connecting: 'busy',
  connected: 'ok',
  degraded: 'warn',
  disconnected: 'idle',
  auth_failed: 'bad',
  hostkey_mismatch: 'bad',
  unreachable: 'bad',
  hostkey_unknown: 'ask',
};

/**
 * Whether the device is connected or trying to be, so the primary action is "Disconnect".
 * A scheduled retry counts: Disconnect is how the operator stops it.
 */
export function isActive(status: DeviceStatus): boolean {
  if (status.retry) return true;
  return (
    status.state === 'connecting' ||
    status.state === 'connected' ||
    status.state === 'degraded' ||
    status.state === 'hostkey_unknown'
  );
}

/** Whole seconds until the retry, never negative. */
export function secondsUntil(at: number, now: number): number {
  return Math.max(0, Math.ceil((at - now) / 1000));
}

export function retryText(retry: NonNullable<DeviceStatus['retry']>, now: number): string {
  return `Reconnecting in ${secondsUntil(retry.at, now)} s (attempt ${retry.attempt})`;
}

export function address(device: Pick<DeviceView, 'user' | 'host' | 'port'>): string {
  const host = device.host.includes(':') ? `[${device.host}]` : device.host;
  return `${device.user}@${host}:${device.port}`;
}

export function authText(auth: DeviceView['auth']): string {
  switch (auth.kind) {
    case 'agent':
      return 'SSH agent';
    case 'identityFile':
      return auth.hasPassphrase
        ? `Identity file ${auth.path} (passphrase stored)`
        : `Identity file ${auth.path}`;
    case 'password':
      return auth.hasPassword ? 'Password (stored)' : 'Password (not stored yet)';
  }
}

export function formatRtt(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}
