/**
 * The SDP work around a WHEP exchange: check the offer, pick the one H.264 format we send, fix the answer's
 * candidates (ICE-TCP through the one shared port), and read trickle-ICE fragments.
 */

export class SdpError extends Error {}

function splitLines(sdp: string): string[] {
  return sdp.split(/\r?\n/).filter((l) => l !== '');
}

interface Section {
  /** The m= line, or undefined for the session part. */
  media: string | undefined;
  lines: string[];
}

function sections(lines: readonly string[]): Section[] {
  const out: Section[] = [{ media: undefined, lines: [] }];
  for (const line of lines) {
    if (line.startsWith('m=')) out.push({ media: line, lines: [line] });
    else out[out.length - 1]?.lines.push(line);
  }
  return out;
}

/** Throws SdpError unless the text looks like a WebRTC offer we can answer. */
export function checkOffer(sdp: string): void {
  const lines = splitLines(sdp);
  if (lines[0] !== 'v=0') throw new SdpError('SdpInvalidSyntax: the offer does not start with v=0');
  for (const line of lines) {
    if (!/^[a-z]=/.test(line)) throw new SdpError(`SdpInvalidSyntax: \`${line.slice(0, 40)}\``);
  }
  const media = lines.filter((l) => l.startsWith('m='));
  if (media.length === 0) throw new SdpError('the offer has no media');
  if (!lines.some((l) => l.startsWith('a=ice-ufrag:')) || !lines.some((l) => l.startsWith('a=ice-pwd:'))) {
    throw new SdpError('the offer has no ICE credentials');
  }
  if (!lines.some((l) => l.startsWith('a=fingerprint:')))
    throw new SdpError('the offer has no DTLS fingerprint');
}

interface OfferedFormat {
  payloadType: number;
  name: string;
  clockRate: number;
  fmtp: Map<string, string>;
}

function offeredFormats(section: Section): OfferedFormat[] {
  const byPt = new Map<number, OfferedFormat>();
  for (const line of section.lines) {
    const rtpmap = /^a=rtpmap:(\d+) ([^/]+)\/(\d+)/.exec(line);
    if (rtpmap) {
      const pt = Number(rtpmap[1]);
      byPt.set(pt, { payloadType: pt, name: rtpmap[2] ?? '', clockRate: Number(rtpmap[3]), fmtp: new Map() });
    }
  }
  for (const line of section.lines) {
    const fmtp = /^a=fmtp:(\d+) (.*)$/.exec(line);
    const format = fmtp ? byPt.get(Number(fmtp[1])) : undefined;
    if (!format || !fmtp) continue;
    for (const kv of (fmtp[2] ?? '').split(';')) {
      const [k, v] = kv.trim().split('=');
      if (k) format.fmtp.set(k.toLowerCase(), v ?? '');
    }
  }
  return [...byPt.values()];
}

/**
 * The payload type to use for our H.264 in the offer's first video section: packetization-mode=1, preferring
 * profile-level-id 42e01f (constrained baseline, as MediaMTX registers it), then any baseline, then any.
 */
export function pickH264PayloadType(sdp: string): number {
  const video = sections(splitLines(sdp)).find((s) => s.media?.startsWith('m=video'));
  if (!video) throw new SdpError('the offer has no video section');
  const candidates = offeredFormats(video).filter(
    (f) =>
      f.name.toUpperCase() === 'H264' && f.clockRate === 90000 && f.fmtp.get('packetization-mode') === '1',
  );
  const score = (f: OfferedFormat): number => {
    const plid = (f.fmtp.get('profile-level-id') ?? '').toLowerCase();
    if (plid === '42e01f') return 3;
    if (plid.startsWith('42e0') || plid.startsWith('4200')) return 2;
    return 1;
  };
  candidates.sort((a, b) => score(b) - score(a));
  const best = candidates[0];
  if (!best) throw new SdpError('the offer does not accept H264 with packetization-mode=1');
  return best.payloadType;
}

/** The offer with its first video section narrowed to one payload type, so the answer carries just that. */
export function restrictVideoFormats(sdp: string, payloadType: number): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const out: string[] = [];
  let done = false;
  for (const section of sections(splitLines(sdp))) {
    if (done || !section.media?.startsWith('m=video')) {
      out.push(...section.lines);
      continue;
    }
    done = true;
    for (const line of section.lines) {
      if (line.startsWith('m=video')) {
        const parts = line.split(' ');
        out.push([...parts.slice(0, 3), String(payloadType)].join(' '));
        continue;
      }
      const ref = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+) /.exec(line);
      if (ref && Number(ref[1]) !== payloadType) continue;
      out.push(line);
    }
  }
  return out.join(eol) + eol;
}

export interface CandidateRewrite {
  /** The shared ICE-TCP port; 0 removes TCP candidates. */
  iceTcpPort: number;
}

/**
 * The answer with werift's per-session TCP candidates replaced: passive ones point at the shared ICE-TCP port
 * (the mux hands the connection to this session), active ones are dropped (MediaMTX offers only passive).
 */
export function rewriteAnswerCandidates(sdp: string, rewrite: CandidateRewrite): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const out: string[] = [];
  for (const line of splitLines(sdp)) {
    const m = /^a=candidate:(\S+) (\d+) (\S+) (\d+) (\S+) (\d+) typ (\S+)(.*)$/.exec(line);
    if (m && (m[3] ?? '').toLowerCase() === 'tcp') {
      const rest = m[8] ?? '';
      if (rewrite.iceTcpPort === 0 || !/tcptype passive/.test(rest)) continue;
      out.push(
        `a=candidate:${m[1]} ${m[2]} ${m[3]} ${m[4]} ${m[5]} ${rewrite.iceTcpPort} typ ${m[7]}${rest}`,
      );
      continue;
    }
    out.push(line);
  }
  return out.join(eol) + eol;
}

/** Local candidates of an SDP, as `{transport, address, port, tcptype}`. */
export function listCandidates(
  sdp: string,
): { transport: string; address: string; port: number; type: string; tcptype: string | undefined }[] {
  const out = [];
  for (const line of splitLines(sdp)) {
    const m = /^a=candidate:\S+ \d+ (\S+) \d+ (\S+) (\d+) typ (\S+)(?:.*tcptype (\S+))?/.exec(line);
    if (m) {
      out.push({
        transport: (m[1] ?? '').toLowerCase(),
        address: m[2] ?? '',
        port: Number(m[3]),
        type: m[4] ?? '',
        tcptype: m[5],
      });
    }
  }
  return out;
}

export function iceUfrag(sdp: string): string | undefined {
  const m = /^a=ice-ufrag:(\S+)/m.exec(sdp);
  return m?.[1];
}

export interface TrickleFragment {
  ufrag: string | undefined;
  pwd: string | undefined;
  candidates: { candidate: string; mid: string | undefined; mLineIndex: number }[];
}

/** Reads an `application/trickle-ice-sdpfrag` body (RFC 8840). Throws SdpError on nonsense. */
export function parseTrickleFragment(body: string): TrickleFragment {
  const fragment: TrickleFragment = { ufrag: undefined, pwd: undefined, candidates: [] };
  let mid: string | undefined;
  let mLineIndex = -1;
  for (const line of splitLines(body)) {
    if (!/^[a-z]=/.test(line)) throw new SdpError(`invalid line in the fragment: \`${line.slice(0, 40)}\``);
    if (line.startsWith('m=')) {
      mLineIndex++;
      mid = undefined;
    } else if (line.startsWith('a=mid:')) mid = line.slice(6);
    else if (line.startsWith('a=ice-ufrag:')) fragment.ufrag = line.slice(12);
    else if (line.startsWith('a=ice-pwd:')) fragment.pwd = line.slice(10);
    else if (line.startsWith('a=candidate:')) {
      fragment.candidates.push({ candidate: line.slice(2), mid, mLineIndex: Math.max(0, mLineIndex) });
    }
  }
  return fragment;
}
