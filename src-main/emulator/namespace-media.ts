/**
 * The "media blocked" fault: the device's media ports closed to this machine while SSH stays open, as a firewall
 * between a laptop and a box often does. nftables in the device's namespace, in a table of its own (the link
 * faults rewrite theirs), drop from this machine's address: TCP 8889 (WHEP), 8189 (ICE-TCP), 8888 (HLS) and all
 * UDP (ICE), and UDP towards it. Port 22 and anything from the device itself (an SSH tunnel ends there) pass.
 */
import { execFile } from 'node:child_process';
import type { TestHost } from './netns.js';

export const BLOCKED_MEDIA_TCP_PORTS = [8889, 8189, 8888] as const;

export function mediaBlockRules(hostAddress: string, blocked: boolean): string {
  const rules = blocked
    ? [
        `add rule inet tally_media input ip saddr ${hostAddress} tcp dport { ${BLOCKED_MEDIA_TCP_PORTS.join(', ')} } drop`,
        `add rule inet tally_media input ip saddr ${hostAddress} meta l4proto udp drop`,
        `add rule inet tally_media output ip daddr ${hostAddress} meta l4proto udp drop`,
      ]
    : [];
  return [
    'table inet tally_media {',
    '  chain input { type filter hook input priority -10; policy accept; }',
    '  chain output { type filter hook output priority -10; policy accept; }',
    '}',
    'flush table inet tally_media',
    ...rules,
    '',
  ].join('\n');
}

export function setMediaBlocked(host: TestHost, blocked: boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = execFile('ip', ['netns', 'exec', host.name, 'nft', '-f', '-'], (err) =>
      err ? reject(err) : resolve(),
    );
    child.stdin?.end(mediaBlockRules(host.hostAddress, blocked));
  });
}
