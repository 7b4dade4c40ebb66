/**
 * Rewriting a WHEP answer for the SSH tunnel: the browser cannot reach the device's addresses, only the console's
 * loopback forwards. The ICE-TCP candidates MediaMTX offers (passive, on `webrtcLocalTCPAddress`) are pointed at the
 * local end of the forward; UDP and active TCP candidates are dropped, since nothing carries them through SSH.
 */

export interface AnswerCandidate {
  transport: string;
  address: string;
  port: number;
  type: string;
  tcptype: string | null;
}

export interface TunnelRewrite {
  /** Where the browser connects instead (the console's loopback). */
  host: string;
  /** The local port for a device ICE-TCP port; null when there is no forward for it (the candidate is dropped). */
  localPortFor(devicePort: number): number | null;
}

export interface RewriteResult {
  sdp: string;
  /** Candidates left in the answer, after the rewrite. */
  kept: AnswerCandidate[];
  /** How many candidates were removed (UDP, active TCP, TCP without a forward). */
  dropped: number;
}

const CANDIDATE = /^a=candidate:(\S+) (\d+) (\S+) (\d+) (\S+) (\d+) typ (\S+)(.*)$/;

function splitLines(sdp: string): string[] {
  const lines = sdp.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function parse(line: string): (AnswerCandidate & { match: RegExpExecArray }) | null {
  const m = CANDIDATE.exec(line);
  if (!m) return null;
  const rest = m[8] ?? '';
  return {
    match: m,
    transport: (m[3] ?? '').toLowerCase(),
    address: m[5] ?? '',
    port: Number(m[6]),
    type: m[7] ?? '',
    tcptype: /\btcptype (\S+)/.exec(rest)?.[1] ?? null,
  };
}

/** The candidates of an SDP (`a=candidate` lines, session or media level). */
export function listCandidates(sdp: string): AnswerCandidate[] {
  const out: AnswerCandidate[] = [];
  for (const line of splitLines(sdp)) {
    const c = parse(line);
    if (c)
      out.push({
        transport: c.transport,
        address: c.address,
        port: c.port,
        type: c.type,
        tcptype: c.tcptype,
      });
  }
  return out;
}

/** Device ports of the passive TCP candidates: the ICE-TCP listener(s) that need a forward. */
export function iceTcpPorts(sdp: string): number[] {
  const ports = listCandidates(sdp)
    .filter((c) => c.transport === 'tcp' && c.tcptype === 'passive')
    .map((c) => c.port);
  return [...new Set(ports)];
}

/**
 * The answer as the browser must see it through the tunnel: passive TCP candidates on `rewrite.host` and the
 * forward's local port, `c=` lines on that host, every other candidate removed. Line endings are kept.
 */
export function rewriteForTunnel(sdp: string, rewrite: TunnelRewrite): RewriteResult {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const ipVersion = rewrite.host.includes(':') ? 'IP6' : 'IP4';
  const out: string[] = [];
  const kept: AnswerCandidate[] = [];
  let dropped = 0;
  for (const line of splitLines(sdp)) {
    if (/^c=IN IP[46] /.test(line)) {
      out.push(`c=IN ${ipVersion} ${rewrite.host}`);
      continue;
    }
    const c = parse(line);
    if (!c) {
      out.push(line);
      continue;
    }
    const local = c.transport === 'tcp' && c.tcptype === 'passive' ? rewrite.localPortFor(c.port) : null;
    if (local === null) {
      dropped++;
      continue;
    }
    const m = c.match;
    out.push(`a=candidate:${m[1]} ${m[2]} ${m[3]} ${m[4]} ${rewrite.host} ${local} typ ${m[7]}${m[8] ?? ''}`);
    kept.push({ transport: 'tcp', address: rewrite.host, port: local, type: c.type, tcptype: 'passive' });
  }
  return { sdp: out.join(eol) + eol, kept, dropped };
}
