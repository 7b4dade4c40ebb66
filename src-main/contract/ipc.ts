// Kept free of runtime imports: the sandboxed preload bundles this file and may require nothing but electron.
export const IPC_INVOKE = 'tally:invoke';
export const IPC_EVENT = 'tally:event';
