/**
 * What a box could go back to: the transcoder's image tags of its repository (`docker images`), the VMS host's
 * backups beside its binary (`<binary>.*`), and what runs now. One batched read; no lease.
 */
import type { KnownGoodCandidate, KnownGoodCandidates } from '../../contract/index.js';
import { parseSections, section } from '../device/batch.js';
import { dockerProblem, inspectCommand, parseInspect } from '../device/docker.js';
import type { TranscoderProfile, VmsProfile } from '../device/profile.js';
import { argv, remotePath, sh, sudo, type ShellCommand } from '../device/quote.js';

const KEEP_TAG = /^tally-keep-(knowngood-[a-z0-9-]+)$/;
const KEEP_FILE = /\.tally-(knowngood-[a-z0-9-]+)$/;

export function transcoderCandidatesCommand(profile: TranscoderProfile): ShellCommand {
  return sh`${section('images', sudo(argv('docker', 'images', '--format', '{{json .}}')))}; ${section(
    'inspect',
    inspectCommand(profile.service.container),
  )}`;
}

interface ImageLine {
  Repository?: unknown;
  Tag?: unknown;
  ID?: unknown;
  CreatedAt?: unknown;
  Size?: unknown;
}

/** Docker's `2026-12-01 10:00:00 +0000 UTC` as ISO; null when it is not that. */
export function dockerTime(text: string): string | null {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.\d+)? ([+-]\d\d)(\d\d)/.exec(text);
  if (!m) return null;
  const d = new Date(`${m[1]}T${m[2]}${m[3]}:${m[4]}`);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** The image the container runs (id and the reference it was created from), from `docker inspect`. */
export function runningImage(text: string, code: number | null): { ref: string | null; id: string | null } {
  const read = parseInspect(text, code);
  return read.ok
    ? { ref: read.container.Config.Image, id: shortId(read.container.Image) }
    : { ref: null, id: null };
}

export function parseTranscoderCandidates(
  deviceId: string,
  device: string,
  profile: TranscoderProfile,
  stdout: string,
): KnownGoodCandidates {
  const sections = parseSections(stdout);
  const images = sections.get('images');
  if (!images || images.code !== 0)
    throw new Error(
      `docker images did not answer on ${device}: ${dockerProblem(images?.text.trim().split('\n')[0] ?? '', images?.code ?? null)}. ` +
        `Check that ${profile.login.user} may run "sudo -n docker".`,
    );
  const { repository, tag } = profile.image;
  const inspected = sections.get('inspect');
  const running = runningImage(inspected?.text ?? '', inspected?.code ?? null);
  const candidates: KnownGoodCandidate[] = [];
  for (const line of images.text.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    let image: ImageLine;
    try {
      image = JSON.parse(line) as ImageLine;
    } catch {
      continue;
    }
    const name = str(image.Tag);
    if (image.Repository !== repository || !name || name === '<none>' || name === tag) continue;
    const id = str(image.ID);
    candidates.push({
      name,
      ref: `${repository}:${name}`,
      id: id ? shortId(id) : null,
      created: typeof image.CreatedAt === 'string' ? dockerTime(image.CreatedAt) : null,
      size: str(image.Size),
      current: id !== null && running.id !== null && shortId(id) === running.id,
      keptBySwitch: KEEP_TAG.exec(name)?.[1] ?? null,
    });
  }
  candidates.sort((a, b) => (b.created ?? '').localeCompare(a.created ?? '') || a.name.localeCompare(b.name));
  return {
    deviceId,
    device,
    unit: 'image',
    running: { ref: running.ref ?? `${repository}:${tag}`, id: running.id },
    slot: `${repository}:${tag}`,
    candidates,
  };
}

export function vmsCandidatesCommand(profile: VmsProfile): ShellCommand {
  const bin = remotePath(profile.binary.path);
  return sh`for f in ${bin} ${bin}.*; do [ -f "$f" ] || continue; case $f in *.tally-new-*) continue;; esac
printf '%s\\t%s\\t%s\\n' "$(stat -c '%s %Y' "$f")" "$(sudo -n sha256sum "$f" 2>/dev/null | cut -c1-12)" "$f"; done`;
}

export function parseVmsCandidates(
  deviceId: string,
  device: string,
  profile: VmsProfile,
  stdout: string,
): KnownGoodCandidates {
  const bin = profile.binary.path;
  const files = stdout
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((p): p is [string, string, string] => p.length === 3)
    .map(([sizeTime, sum, file]) => {
      const [size, mtime] = sizeTime.split(' ');
      const seconds = Number(mtime);
      return {
        file,
        size: size ?? null,
        created: Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000).toISOString() : null,
        id: /^[0-9a-f]{12}$/.test(sum) ? sum : null,
      };
    });
  const deployed = files.find((f) => f.file === bin);
  if (!deployed)
    throw new Error(`${device} has no ${bin}: the profile's binary path does not match the box.`);
  const candidates: KnownGoodCandidate[] = files
    .filter((f) => f.file !== bin && f.file.startsWith(`${bin}.`))
    .map((f) => ({
      name: f.file.slice(f.file.lastIndexOf('/') + 1),
      ref: f.file,
      id: f.id,
      created: f.created,
      size: f.size,
      current: f.id !== null && f.id === deployed.id,
      keptBySwitch: KEEP_FILE.exec(f.file)?.[1] ?? null,
    }))
    .sort((a, b) => (b.created ?? '').localeCompare(a.created ?? '') || a.name.localeCompare(b.name));
  return {
    deviceId,
    device,
    unit: 'binary',
    running: { ref: bin, id: deployed.id },
    slot: bin,
    candidates,
  };
}
