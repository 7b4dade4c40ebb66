/**
 * GPU load on a box: amdgpu's `gpu_busy_percent` sysfs files (0-100, one per card; the card number is globbed), and
 * NVIDIA's `nvidia-smi --query-gpu … --format=csv,nounits`, read by its header names (its column order and units
 * are not promised to stay). A value of `[N/A]` is unknown, not zero; no nvidia-smi at all is "not present".
 */
import { sh, UnsafeValueError, type ShellCommand } from './quote.js';

const NO_NVIDIA = '@@no-nvidia-smi';

/** Every file matching the glob, as `path value` lines; nothing when none matches. */
export function gpuBusyCommand(glob: string): ShellCommand {
  if (!/^\/sys\/[A-Za-z0-9_./*-]+$/.test(glob))
    throw new UnsafeValueError(
      'A sysfs glob',
      glob,
      'use a /sys path of plain characters, with * for the card',
    );
  // The glob is expanded by the shell from a variable (quoted on the way in, so nothing else in it is code).
  return sh`g=${glob}; for f in $g; do [ -r "$f" ] && printf '%s %s\\n' "$f" "$(cat "$f" 2>/dev/null)"; done; true`;
}

export interface GpuBusy {
  /** The busiest card's figure; null when no file answered. */
  percent: number | null;
  cards: { path: string; percent: number | null }[];
  problem: string | null;
}

export function parseGpuBusy(text: string): GpuBusy {
  const cards = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('/sys/'))
    .map((l) => {
      const space = l.indexOf(' ');
      const path = space < 0 ? l : l.slice(0, space);
      const raw = space < 0 ? '' : l.slice(space + 1).trim();
      const value = /^\d{1,3}$/.test(raw) ? Number(raw) : null;
      return { path, percent: value !== null && value <= 100 ? value : null };
    });
  if (cards.length === 0)
    return {
      percent: null,
      cards,
      problem: 'no GPU busy file on the box (no amdgpu card found in /sys/class/drm)',
    };
  const known = cards.map((c) => c.percent).filter((p): p is number => p !== null);
  return {
    percent: known.length > 0 ? Math.max(...known) : null,
    cards,
    problem: known.length > 0 ? null : 'the GPU busy file could not be read',
  };
}

export const NVIDIA_FIELDS = [
  'utilization.gpu',
  'utilization.encoder',
  'encoder.stats.sessionCount',
  'encoder.stats.averageFps',
] as const;

export function nvidiaSmiCommand(): ShellCommand {
  return sh`if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi ${`--query-gpu=${NVIDIA_FIELDS.join(',')}`} --format=csv,nounits; else echo ${NO_NVIDIA}; fi`;
}

export interface NvidiaRead {
  present: boolean;
  /** One row per GPU, keyed by the query field name (units in the header dropped); null for `[N/A]`. */
  gpus: Record<string, number | null>[];
  problem: string | null;
}

/** A header cell `utilization.gpu [%]` as its field name `utilization.gpu`. */
function fieldName(cell: string): string {
  return cell.replace(/\s*\[[^\]]*\]\s*$/, '').trim();
}

function cellValue(cell: string): number | null {
  const text = cell.trim().replace(/\s*%$/, '');
  if (text === '' || /^\[.*\]$/.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

export function parseNvidiaSmi(text: string, code: number | null): NvidiaRead {
  if (text.includes(NO_NVIDIA)) return { present: false, gpus: [], problem: null };
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const header = lines.findIndex((l) => l.includes(','));
  if (code !== 0 || header < 0) {
    const why = lines.join(' ').slice(0, 200) || `exit ${code ?? 'unknown'}`;
    return { present: true, gpus: [], problem: `nvidia-smi did not answer: ${why}` };
  }
  const names = (lines[header] ?? '').split(',').map(fieldName);
  const gpus = lines.slice(header + 1).map((row) => {
    const cells = row.split(',');
    return Object.fromEntries(names.map((name, i) => [name, cellValue(cells[i] ?? '')]));
  });
  if (gpus.length === 0) return { present: true, gpus, problem: 'nvidia-smi listed no GPU' };
  return { present: true, gpus, problem: null };
}
