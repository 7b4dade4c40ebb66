import { describe, expect, it } from 'vitest';
import { FLOW, FlowControl } from '../../src-main/core/terminal/flow-control.js';

describe('terminal flow control', () => {
  it('pauses a flooding source until the renderer catches up, and never sends oversized chunks', () => {
    const events: string[] = [];
    const sent: string[] = [];
    const flow = new FlowControl(
      { pause: () => events.push('pause'), resume: () => events.push('resume') },
      (d) => sent.push(d),
    );
    const line = 'y\n'.repeat(8 * 1024);
    for (let i = 0; i < 40; i++) flow.push(line); // 640 KiB, like `yes`
    expect(events).toEqual(['pause']);
    expect(Math.max(...sent.map((s) => s.length))).toBeLessThanOrEqual(FLOW.maxChunk);
    flow.ack(flow.unacknowledged);
    expect(events).toEqual(['pause', 'resume']);
    flow.dispose();
  });

  it('stays running while acknowledgements keep up', () => {
    const events: string[] = [];
    const flow = new FlowControl(
      { pause: () => events.push('pause'), resume: () => events.push('resume') },
      (d) => flow.ack(d.length),
    );
    for (let i = 0; i < 100; i++) flow.push('x'.repeat(FLOW.maxChunk));
    expect(events).toEqual([]);
    flow.dispose();
  });
});
