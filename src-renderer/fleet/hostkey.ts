/** The command an operator runs on the device to see the fingerprint of its host key of this type. */
export function keygenCommand(keyType: string): string {
  const t = keyType.toLowerCase();
  const file = t.startsWith('rsa') ? 'rsa' : t.startsWith('ecdsa') ? 'ecdsa' : 'ed25519';
  return `ssh-keygen -lf /etc/ssh/ssh_host_${file}_key.pub`;
}
