/**
 * The emulator's Node processes besides the one that starts it: each runs from its TypeScript source through tsx
 * when the emulator itself runs from source (vitest, the bench), and from its electron-vite build entry
 * (out/main/<name>.js) when it runs from the build (`tally emulator`, `tally demo`). electron.vite.config.ts
 * builds one entry per line here. No imports, so the build config can read it.
 */
export const EMULATOR_ENTRIES = {
  'emulator-device-daemon': 'src-main/emulator/device/daemon-main.ts',
  'emulator-media-server': 'src-main/emulator/media/main.ts',
} as const;

export type EmulatorEntry = keyof typeof EMULATOR_ENTRIES;
