import { z } from 'zod';
import { ContractErrorShape } from './errors.js';

/** Messages on the WebSocket (web mode) and the IPC bridge (Electron) share one shape. */
export const RequestMessage = z.object({ id: z.number().int(), name: z.string(), input: z.unknown() });
export type RequestMessage = z.infer<typeof RequestMessage>;

export type ResponseMessage =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ContractErrorShape };

export type EventMessage = { event: string; payload: unknown };

export type Reply = { ok: true; result: unknown } | { ok: false; error: ContractErrorShape };

export { IPC_EVENT, IPC_INVOKE } from './ipc.js';
