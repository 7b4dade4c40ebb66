import { describe, expect, it } from 'vitest';
import {
  iceTcpPorts,
  listCandidates,
  rewriteForTunnel,
} from '../../../src-main/core/previews/sdp-candidates.js';

const ANSWER = [
  'v=0',
  'o=- 1 1 IN IP4 0.0.0.0',
  's=-',
  't=0 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 10.231.7.2',
  'a=ice-ufrag:abcd',
  'a=candidate:1 1 udp 2130706431 10.231.7.2 50123 typ host',
  'a=candidate:2 1 tcp 1671430143 10.231.7.2 8189 typ host tcptype passive',
  'a=candidate:3 1 tcp 1671430143 10.231.7.2 9 typ host tcptype active',
  'a=candidate:4 1 udp 1694498815 203.0.113.9 50123 typ srflx raddr 10.231.7.2 rport 50123',
  'a=end-of-candidates',
  '',
].join('\r\n');

describe('tunnel rewrite of a WHEP answer', () => {
  it('points the passive ICE-TCP candidate at the local forward and drops UDP and active TCP', () => {
    const r = rewriteForTunnel(ANSWER, {
      host: '127.0.0.1',
      localPortFor: (p) => (p === 8189 ? 41000 : null),
    });
    expect(r.kept).toEqual([
      { transport: 'tcp', address: '127.0.0.1', port: 41000, type: 'host', tcptype: 'passive' },
    ]);
    expect(r.dropped).toBe(3);
    expect(r.sdp).toContain('a=candidate:2 1 tcp 1671430143 127.0.0.1 41000 typ host tcptype passive\r\n');
    expect(r.sdp).toContain('c=IN IP4 127.0.0.1\r\n');
    expect(r.sdp).not.toContain('10.231.7.2');
    expect(r.sdp).toContain('a=end-of-candidates\r\n');
    expect(r.sdp.endsWith('\r\n')).toBe(true);
    expect(r.sdp).not.toContain('\r\n\r\n');
  });

  it('keeps nothing when the device offers no ICE-TCP (the proxy then says which setting turns it on)', () => {
    const noTcp = ANSWER.split('\r\n')
      .filter((l) => !l.includes(' tcp '))
      .join('\r\n');
    const r = rewriteForTunnel(noTcp, { host: '127.0.0.1', localPortFor: () => 41000 });
    expect(r.kept).toEqual([]);
    expect(listCandidates(r.sdp)).toEqual([]);
  });

  it('drops a passive TCP candidate without a forward, keeps LF line endings', () => {
    const lf = ANSWER.replace(/\r\n/g, '\n');
    const r = rewriteForTunnel(lf, { host: '127.0.0.1', localPortFor: () => null });
    expect(r.kept).toEqual([]);
    expect(r.sdp).not.toContain('\r');
  });

  it('lists candidates and the ICE-TCP ports that need forwards', () => {
    expect(listCandidates(ANSWER).map((c) => `${c.transport}/${c.tcptype ?? '-'}/${c.port}`)).toEqual([
      'udp/-/50123',
      'tcp/passive/8189',
      'tcp/active/9',
      'udp/-/50123',
    ]);
    expect(iceTcpPorts(ANSWER)).toEqual([8189]);
  });
});
