/**
 * Only our own page may call the core: the window's page is served by the console's loopback server (or, in
 * development, the electron-vite dev server), so the trusted sender is exactly that origin. Kept free of Electron
 * imports so it can be tested under plain Node.
 */
export function isTrustedSender(frameUrl: string | undefined, trustedOrigin: string): boolean {
  if (!frameUrl) return false;
  let url: URL;
  try {
    url = new URL(frameUrl);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return url.origin === new URL(trustedOrigin).origin;
}
