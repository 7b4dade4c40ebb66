/**
 * Properties over arbitrary input. No timing assertions: the expressions are linear by construction (anchored or
 * literal alternations, bounded repeats), and the 100 kB adversarial cases below would hang the test past vitest's
 * timeout if one were not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  KERNEL_CATEGORIES,
  KernelEvent,
  SEVERITIES,
  type Severity,
} from '../../../src-main/contract/index.js';
import { classify, PATTERNS, severityForPriority } from '../../../src-main/core/monitor/kernel-classifier.js';
import {
  MAX_LINE_CHARS,
  parseDmesgLine,
  parseJournalLine,
  type RawKernelLine,
} from '../../../src-main/core/monitor/kernel-parse.js';
import { ReportAssembler, type ReportStep } from '../../../src-main/core/monitor/kernel-reports.js';
import { fixtureLines, parseAll } from './fixtures/pipeline.js';

/** Longest a stored text can be: the cap plus the marker ` … [N characters dropped]`. */
const MAX_TEXT = MAX_LINE_CHARS + 48;

const anyText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'binary-ascii', maxLength: 300 }),
  // Byte soup read as latin1, the way a raw `\xff` reaches us from dmesg.
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

const anyPriority = fc.oneof(
  fc.integer({ min: 0, max: 7 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0),
);

function expectSane(raw: RawKernelLine | null): void {
  if (raw === null) return;
  expect(typeof raw.text).toBe('string');
  expect(raw.text.length).toBeLessThanOrEqual(MAX_TEXT);
  expect(Number.isFinite(raw.usec) && raw.usec >= 0).toBe(true);
  expect(Number.isInteger(raw.priority) && raw.priority >= 0 && raw.priority <= 7).toBe(true);
}

const RANK: Record<Severity, number> = { critical: 0, error: 1, warning: 2, notice: 3, info: 4, debug: 5 };

describe('parsers over arbitrary input', () => {
  it('parseDmesgLine never throws and stays in bounds', () => {
    fc.assert(
      fc.property(anyText, (line) => {
        expectSane(parseDmesgLine(line));
      }),
      { numRuns: 2000 },
    );
  });

  it('parseDmesgLine reads back any well-formed line', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 31 }),
        fc.integer({ min: 0, max: 9_999_999 }),
        fc.integer({ min: 0, max: 999_999 }),
        fc.string({ unit: 'grapheme', maxLength: 200 }).filter((t) => !/[\r\n]$/.test(t)),
        (level, seconds, micros, text) => {
          const stamp = `[${String(seconds).padStart(5, ' ')}.${String(micros).padStart(6, '0')}]`;
          expect(parseDmesgLine(`<${level}>${stamp} ${text}`)).toEqual({
            usec: seconds * 1_000_000 + micros,
            priority: level & 7,
            text,
          });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('parseJournalLine never throws on arbitrary text or arbitrary JSON', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyText,
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (line) => {
          expectSane(parseJournalLine(line));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('parseJournalLine reads any MESSAGE shape journalctl can print, and odd timestamps', () => {
    const message = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 300 }),
      fc.array(fc.integer(), { maxLength: 50 }),
      fc.array(fc.oneof(fc.string(), fc.array(fc.integer({ min: 0, max: 255 }))), { maxLength: 5 }),
      fc.constant(null),
      fc.jsonValue(),
    );
    const field = fc.oneof(fc.string(), fc.nat().map(String), fc.integer(), fc.double(), fc.constant(null));
    fc.assert(
      fc.property(message, field, field, field, field, (MESSAGE, mono, source, realtime, priority) => {
        const line = JSON.stringify({
          MESSAGE,
          __MONOTONIC_TIMESTAMP: mono,
          _SOURCE_MONOTONIC_TIMESTAMP: source,
          __REALTIME_TIMESTAMP: realtime,
          PRIORITY: priority,
        });
        const raw = parseJournalLine(line);
        expectSane(raw);
        if (typeof MESSAGE === 'string') expect(raw?.text.slice(0, 100)).toBe(MESSAGE.slice(0, 100));
        if (raw?.wallMs !== undefined) expect(Number.isFinite(raw.wallMs)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('classify over arbitrary input', () => {
  it('always answers a known category and a severity no milder than the priority floor', () => {
    fc.assert(
      fc.property(anyText, anyPriority, (text, priority) => {
        const c = classify(text, priority);
        expect(KERNEL_CATEGORIES).toContain(c.category);
        expect(SEVERITIES).toContain(c.severity);
        expect(RANK[c.severity]).toBeLessThanOrEqual(RANK[severityForPriority(priority)]);
      }),
      { numRuns: 3000 },
    );
  });

  it('is unmoved by what follows the head of a line', () => {
    fc.assert(
      fc.property(anyText, anyText, (head, tail) => {
        const line = head.padEnd(512, ' ').slice(0, 512);
        expect(classify(line + tail, 6)).toEqual(classify(line, 6));
      }),
      { numRuns: 500 },
    );
  });
});

/** Report lines from every fixture, as material for random interleavings. */
const REPORT_LINES: string[] = [
  ...parseAll(fixtureLines('oops-rkvenc-panic.dmesg-r.txt'), parseDmesgLine),
  ...parseAll(fixtureLines('rcu-self-detected.dmesg.txt'), parseDmesgLine),
  ...parseAll(fixtureLines('warning-mpp-timeout.dmesg.txt'), parseDmesgLine),
  ...parseAll(fixtureLines('kernel.journal.jsonl'), parseJournalLine),
].map((raw) => raw.text);
const FIXTURE_BLOCKS: string[][] = [
  parseAll(fixtureLines('oops-rkvenc-panic.dmesg-r.txt'), parseDmesgLine).map((r) => r.text),
  parseAll(fixtureLines('rcu-self-detected.dmesg.txt'), parseDmesgLine).map((r) => r.text),
  parseAll(fixtureLines('warning-mpp-timeout.dmesg.txt'), parseDmesgLine).map((r) => r.text),
];

const stream = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...REPORT_LINES).map((t) => [t]) },
      { weight: 2, arbitrary: anyText.map((t) => [t]) },
      { weight: 1, arbitrary: fc.constantFrom(...FIXTURE_BLOCKS) },
    ),
    { maxLength: 80 },
  )
  .map((chunks) => chunks.flat());

describe('ReportAssembler over random interleavings of report lines and noise', () => {
  it('never throws and keeps its promises about ids, sequence numbers and events', () => {
    fc.assert(
      fc.property(stream, fc.integer({ min: 1, max: 1_000_000 }), (texts, firstSeq) => {
        const assembler = new ReportAssembler({ idPrefix: 'fz' });
        const steps: ReportStep[] = [];
        const closedIds: string[] = [];
        const lastState = new Map<string, KernelEvent>();
        texts.forEach((text, i) => {
          const c = classify(text, 4);
          const step = assembler.push({ seq: firstSeq + i, usec: i, text, ...c });
          steps.push(step);
          for (const event of [step.closed, step.event]) {
            if (!event) continue;
            expect(KernelEvent.safeParse(event).success).toBe(true);
            expect(event.firstSeq).toBeLessThanOrEqual(event.lastSeq);
            expect(closedIds).not.toContain(event.id);
            if (!event.open) closedIds.push(event.id);
            lastState.set(event.id, event);
          }
          if (step.closed) expect(step.closed.open).toBe(false);
          if (step.eventId !== undefined) expect(step.event?.id).toBe(step.eventId);
        });
        for (const event of assembler.finish()) {
          expect(event.open).toBe(false);
          expect(closedIds).not.toContain(event.id);
          closedIds.push(event.id);
          lastState.set(event.id, event);
        }
        // Every report was closed exactly once, and ids are the prefix and a counter.
        expect(new Set(closedIds).size).toBe(closedIds.length);
        expect([...lastState.keys()].sort()).toEqual([...closedIds].sort());
        expect([...lastState.values()].every((e) => !e.open)).toBe(true);
        closedIds.forEach((id) => expect(id).toMatch(/^fz-\d+$/));
        // A report's lines are one unbroken run whose ends are the event's firstSeq and lastSeq.
        for (const [id, event] of lastState) {
          const members = steps.map((s, i) => (s.eventId === id ? i : -1)).filter((i) => i >= 0);
          expect(members.length).toBeGreaterThan(0);
          expect(members[members.length - 1]! - members[0]! + 1).toBe(members.length);
          expect(firstSeq + members[0]!).toBe(event.firstSeq);
          expect(firstSeq + members[members.length - 1]!).toBe(event.lastSeq);
          expect(KERNEL_CATEGORIES.slice(0, 3)).toContain(event.category);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('adversarial 100 kB lines complete (a super-linear expression would stall here)', () => {
  const big = 100_000;
  const adversarial = [
    'x'.repeat(big),
    ' '.repeat(big),
    '-'.repeat(big),
    `${'-'.repeat(20)}[ cut here ]${'-'.repeat(big)}`,
    `mpp_${'a'.repeat(big)}`,
    `mpp_service ${'e '.repeat(big / 2)}`,
    `mpp_rkvenc2 ${'error'.repeat(big / 5)}`,
    `rcu: INFO: rcu_${'p'.repeat(big)}`,
    `WARNING: CPU: ${'1'.repeat(big)}`,
    `CPU: 1 PID: 1 Comm: ${' '.repeat(big)}Tainted`,
    `task:${'a '.repeat(big / 2)}state:R pid:`,
    `INFO: task ${'a'.repeat(big)} blocked for more than 120 seconds`,
    ` ${'a'.repeat(big)}+0x1/0x2`,
    ` [<${'f'.repeat(big)}>] f+0x1/0x2`,
    `<6>[${' '.repeat(big)}1.0] x`,
    `[    1.${'1'.repeat(big)}] x`,
    `kern  :${'a'.repeat(big)}`,
    `{"MESSAGE":"${'\\u00ff'.repeat(big / 6)}"}`,
    `{"MESSAGE":[${Array.from({ length: big / 4 }, () => '255').join(',')}]}`,
    `${'['.repeat(big / 2)}`,
    'Unable to handle kernel '.repeat(big / 24),
    'usb'.repeat(big / 3),
    'thermal throttl'.repeat(big / 15),
  ];

  it('every row of the pattern table, on the whole line', () => {
    const hits: string[] = [];
    adversarial.forEach((line, i) => {
      const categories = PATTERNS.filter(([, , pattern]) => pattern.test(line)).map(([category]) => category);
      if (categories.length > 0) hits.push(`${i}:${categories.join(',')}`);
    });
    // Bounded repeats keep the near-misses (a 100 kB task name, dashes past `cut here`) from matching at all.
    expect(hits).toEqual(['5:vpu,vpu', '6:vpu,vpu', '20:oops', '21:usb', '22:thermal,thermal']);
  });

  it('the parsers, the classifier and the assembler', () => {
    const assembler = new ReportAssembler({ idPrefix: 'big' });
    const categories: string[] = [];
    adversarial.forEach((line, i) => {
      expectSane(parseDmesgLine(line));
      expectSane(parseJournalLine(line));
      const c = classify(line, 6);
      categories.push(c.category);
      assembler.push({ seq: i + 1, usec: i, text: line, ...c });
    });
    assembler.finish();
    expect(categories).toHaveLength(adversarial.length);
    expect(parseJournalLine(adversarial[18] ?? '')?.text.endsWith('characters dropped]')).toBe(true);
  });
});
