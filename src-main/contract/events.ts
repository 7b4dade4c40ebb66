import { z } from 'zod';
import { DeviceStatus, DeviceView } from './devices.js';

/** Everything the core pushes to the renderer. */
export const events = {
  'devices.changed': z.object({ devices: z.array(DeviceView) }),
  'device.status': z.object({ id: z.string(), status: DeviceStatus }),
  'terminal.data': z.object({ terminalId: z.string(), data: z.string() }),
  'terminal.exit': z.object({ terminalId: z.string(), code: z.number().nullable(), reason: z.string() }),
  'store.problem': z.object({ message: z.string() }),
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<N extends EventName> = z.output<Events[N]>;
export type AnyEvent = { [N in EventName]: { name: N; payload: EventPayload<N> } }[EventName];
