import { contextBridge, ipcRenderer } from 'electron';
import { IPC_EVENT, IPC_INVOKE } from '../contract/ipc.js';
import type { Reply } from '../contract/wire.js';

// The only surface the renderer gets: invoke a contract command, listen to contract events.
contextBridge.exposeInMainWorld('tally', {
  invoke: (name: string, input: unknown): Promise<Reply> => ipcRenderer.invoke(IPC_INVOKE, name, input),
  onEvent: (listener: (name: string, payload: unknown) => void): (() => void) => {
    const handler = (_e: unknown, name: string, payload: unknown) => listener(name, payload);
    ipcRenderer.on(IPC_EVENT, handler);
    return () => ipcRenderer.removeListener(IPC_EVENT, handler);
  },
});
