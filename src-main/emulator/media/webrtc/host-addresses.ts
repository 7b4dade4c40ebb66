/**
 * The addresses offered as ICE host candidates. werift's own interface scan skips interfaces named veth*, which
 * is exactly what the emulated device's link is, so the list is made here: every non-internal IPv4 address of
 * the machine (or the configured ones), plus any additional hosts.
 */
import os from 'node:os';

export function hostAddresses(options: { only: string[] | undefined; additional: string[] }): string[] {
  const found: string[] = [];
  if (options.only) found.push(...options.only);
  else {
    for (const list of Object.values(os.networkInterfaces())) {
      for (const info of list ?? []) {
        if (info.family === 'IPv4' && !info.internal) found.push(info.address);
      }
    }
  }
  return [...new Set([...found, ...options.additional])];
}
