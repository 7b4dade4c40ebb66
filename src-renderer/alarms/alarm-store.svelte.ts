/** The alarm list as the core keeps it: replaced whole on `alarms.changed`, never edited here except by reply. */
import type { Alarm } from '../../src-main/contract/index.js';
import type { Client } from '../lib/client.js';
import { openAlarms, replaceAlarm, worstByDevice } from './alarm-order.js';

export class AlarmStore {
  list = $state.raw<readonly Alarm[]>([]);
  readonly open = $derived(openAlarms(this.list));
  readonly byDevice = $derived(worstByDevice(this.list));

  constructor(private readonly client: Client) {}

  subscribe(): () => void {
    return this.client.on('alarms.changed', ({ alarms }) => (this.list = alarms));
  }

  async load(): Promise<void> {
    this.list = await this.client.invoke('alarms.list', {});
  }

  async acknowledge(id: string): Promise<void> {
    const alarm = await this.client.invoke('alarms.acknowledge', { id });
    // `alarms.changed` follows; take the reply at once so the bar does not wait for it.
    this.list = replaceAlarm(this.list, alarm);
  }
}
