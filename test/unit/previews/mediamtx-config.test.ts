import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../../src-main/core/device/profile.js';
import {
  ICE_TCP_HINT,
  configCommand,
  parseIceTcpConfig,
  parseListenAddress,
  parseServerAddresses,
} from '../../../src-main/core/previews/mediamtx-config.js';

const ok = (body: unknown) => ({ status: 200, body: JSON.stringify(body), error: null });

describe('MediaMTX ICE-TCP setting', () => {
  it('reads the configuration on the device loopback with curl', () => {
    expect(configCommand(loadProfile('r58')).text).toMatch(
      /^curl -sS --max-time 5 .*http:\/\/127\.0\.0\.1:9997\/v3\/config\/global\/get$/,
    );
  });

  it('is on when webrtcLocalTCPAddress is set, off with the exact hint when empty', () => {
    expect(parseIceTcpConfig(ok({ webrtcLocalTCPAddress: ':8189' }))).toEqual({
      iceTcp: true,
      address: { host: '127.0.0.1', port: 8189 },
      hint: null,
      problem: null,
    });
    const off = parseIceTcpConfig(ok({ webrtcLocalTCPAddress: '' }));
    expect(off).toMatchObject({ iceTcp: false, address: null });
    expect(off.hint).toBe(
      'Set webrtcLocalTCPAddress: :8189 in mediamtx.yml on the device and restart mediamtx',
    );
    expect(off.hint).toBe(ICE_TCP_HINT);
    // Before MediaMTX 1.0 the setting had another name.
    expect(parseIceTcpConfig(ok({ webrtcICETCPMuxAddress: ':8189' })).iceTcp).toBe(true);
  });

  it('is unknown, with the reason, when the API does not say', () => {
    expect(parseIceTcpConfig({ status: null, body: '', error: 'curl: (7) Failed to connect' })).toMatchObject(
      {
        iceTcp: null,
        problem: expect.stringContaining('Failed to connect'),
      },
    );
    expect(parseIceTcpConfig({ status: 404, body: '', error: null }).problem).toContain('HTTP 404');
    expect(parseIceTcpConfig(ok({ webrtcAddress: ':8889' })).iceTcp).toBeNull();
    expect(parseIceTcpConfig({ status: 200, body: 'not json', error: null }).iceTcp).toBeNull();
  });

  it('parses listen addresses', () => {
    expect(parseListenAddress(':8189')).toEqual({ host: '127.0.0.1', port: 8189 });
    expect(parseListenAddress('0.0.0.0:8189')).toEqual({ host: '127.0.0.1', port: 8189 });
    expect(parseListenAddress('[::]:8189')).toEqual({ host: '127.0.0.1', port: 8189 });
    expect(parseListenAddress('10.0.0.5:8190')).toEqual({ host: '10.0.0.5', port: 8190 });
    expect(parseListenAddress('8189')).toBeNull();
    expect(parseListenAddress(':99999')).toBeNull();
  });

  it('reads where WHEP and HLS listen, when the configuration says', () => {
    expect(parseServerAddresses(ok({ webrtcAddress: ':8890', hlsAddress: '192.168.1.5:8888' }))).toEqual({
      whep: { host: '127.0.0.1', port: 8890 },
      hls: { host: '192.168.1.5', port: 8888 },
    });
    expect(parseServerAddresses({ status: 404, body: '', error: null })).toEqual({ whep: null, hls: null });
  });
});
