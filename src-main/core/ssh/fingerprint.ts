import { createHash } from 'node:crypto';

/** `SHA256:<base64 without padding>`, the form `ssh-keygen -lf` prints. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The algorithm name inside an SSH public key blob, e.g. `ssh-ed25519`. */
export function keyAlgorithm(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  if (len > 64 || keyBlob.length < 4 + len) return 'unknown';
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}

/** The key type as ssh-keygen shows it in brackets: ED25519, RSA, ECDSA, DSA. */
export function keyTypeLabel(algorithm: string): string {
  if (algorithm === 'ssh-ed25519') return 'ED25519';
  if (algorithm === 'ssh-rsa') return 'RSA';
  if (algorithm.startsWith('ecdsa-sha2-')) return 'ECDSA';
  if (algorithm === 'ssh-dss') return 'DSA';
  if (algorithm.startsWith('sk-ssh-ed25519')) return 'ED25519-SK';
  if (algorithm.startsWith('sk-ecdsa')) return 'ECDSA-SK';
  return algorithm.toUpperCase();
}
