/** The visible kernel log as a text file: formatting is pure, the download is a Blob link (web and Electron alike). */
import type { KernelLine } from '../../src-main/contract/index.js';
import { CATEGORY_LABEL, bootTime } from '../lib/charts/labels.js';
import { isFiltering, type LogFilter } from './log-filter.js';

export interface ExportHeader {
  device: string;
  filter: LogFilter;
  /** When the export was made. */
  at: Date;
}

function filterWords(filter: LogFilter): string {
  if (!isFiltering(filter)) return 'none (every line kept)';
  const parts: string[] = [];
  if (filter.categories.length > 0)
    parts.push(`categories ${filter.categories.map((c) => CATEGORY_LABEL[c]).join(', ')}`);
  if (filter.text.trim()) parts.push(`text contains "${filter.text.trim()}"`);
  return parts.join('; ');
}

/** One line as dmesg would print it, with its severity and category spelled out. */
export function formatLine(line: KernelLine): string {
  return `${bootTime(line.usec)} ${line.severity.padEnd(8)} ${line.category.padEnd(9)} ${line.text}`;
}

export function formatExport(lines: readonly KernelLine[], header: ExportHeader): string {
  const head = [
    `# Tally kernel log export`,
    `# device: ${header.device}`,
    `# exported: ${header.at.toISOString()}`,
    `# filter: ${filterWords(header.filter)}`,
    `# lines: ${lines.length}`,
  ];
  return `${[...head, ...lines.map(formatLine)].join('\n')}\n`;
}

/** `tally-kernel-studio-a-20260314-101502.log`: safe on every file system. */
export function exportFileName(device: string, at: Date): string {
  const slug =
    device
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'device';
  const two = (n: number): string => String(n).padStart(2, '0');
  const stamp =
    `${at.getFullYear()}${two(at.getMonth() + 1)}${two(at.getDate())}-` +
    `${two(at.getHours())}${two(at.getMinutes())}${two(at.getSeconds())}`;
  return `tally-kernel-${slug}-${stamp}.log`;
}

/** Hand the text to the browser as a download. */
export function downloadText(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started by now; give slow hosts a moment before the URL goes away.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
