/**
 * A button that would be refused because another operation holds the device: disabled, with the reason on hover
 * (`title`) and for a screen reader (`aria-describedby` → the device's busy note, which RecorderView shows).
 */
export function busyNoteId(deviceId: string): string {
  return `busy-note-${deviceId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export function busyAttrs(
  reason: string | null,
  deviceId: string,
): { title?: string; 'aria-describedby'?: string } {
  return reason ? { title: reason, 'aria-describedby': busyNoteId(deviceId) } : {};
}
