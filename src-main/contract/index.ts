export * from './commands.js';
export * from './devices.js';
export * from './errors.js';
export * from './events.js';
export * from './monitor.js';
export * from './terminal.js';
export * from './wire.js';
