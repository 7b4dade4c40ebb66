import { z } from 'zod';

export const TerminalTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('device'), deviceId: z.string().min(1) }),
  z.object({ kind: z.literal('local') }),
]);
export type TerminalTarget = z.infer<typeof TerminalTarget>;

const Cols = z.number().int().min(2).max(1000);
const Rows = z.number().int().min(1).max(500);

export const TerminalOpen = z.object({ target: TerminalTarget, cols: Cols, rows: Rows });
export const TerminalInfo = z.object({ terminalId: z.string(), title: z.string() });
export type TerminalInfo = z.infer<typeof TerminalInfo>;
export const TerminalInput = z.object({ terminalId: z.string().min(1), data: z.string().max(1_000_000) });
export const TerminalResize = z.object({ terminalId: z.string().min(1), cols: Cols, rows: Rows });
/** The renderer acknowledges what xterm has rendered; the core pauses the source while too much is unacknowledged. */
export const TerminalAck = z.object({ terminalId: z.string().min(1), bytes: z.number().int().min(0) });
export const TerminalRef = z.object({ terminalId: z.string().min(1) });
