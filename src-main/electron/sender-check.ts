import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Only our own page may call the core: in development the electron-vite dev server's origin, otherwise exactly
 * the bundled index.html. Kept free of Electron imports so it can be tested under plain Node.
 */
export function isTrustedSender(
  frameUrl: string | undefined,
  rendererUrl: string | undefined,
  rendererFile: string,
): boolean {
  if (!frameUrl) return false;
  let url: URL;
  try {
    url = new URL(frameUrl);
  } catch {
    return false;
  }
  if (rendererUrl) return url.origin === new URL(rendererUrl).origin;
  return url.protocol === 'file:' && path.resolve(fileURLToPath(url)) === path.resolve(rendererFile);
}
