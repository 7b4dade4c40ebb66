import { describe, expect, it } from 'vitest';
import { isOwnStatusRead } from '../../../src-renderer/recorder/journal.js';

const entry = (message: string) => ({ at: 0, priority: 6, message });

describe("hiding Tally's own status reads in the recorder journal", () => {
  it('recognises the access-log lines of the reads the Recorder tab makes', () => {
    expect(isOwnStatusRead(entry('INFO:     127.0.0.1:34572 - "GET /status HTTP/1.1" 200 OK'))).toBe(true);
    expect(isOwnStatusRead(entry('INFO:     127.0.0.1:53784 - "GET /record/status HTTP/1.1" 200 OK'))).toBe(
      true,
    );
  });
  it('keeps everything else: other clients, writes, errors and the recorder’s own words', () => {
    expect(isOwnStatusRead(entry('INFO:     10.0.0.7:5000 - "GET /status HTTP/1.1" 200 OK'))).toBe(false);
    expect(isOwnStatusRead(entry('INFO:     127.0.0.1:34572 - "POST /record/start HTTP/1.1" 200 OK'))).toBe(
      false,
    );
    expect(
      isOwnStatusRead(entry('INFO:     127.0.0.1:34572 - "GET /status HTTP/1.1" 500 Internal Server Error')),
    ).toBe(false);
    expect(isOwnStatusRead(entry('INFO: cam0 streaming (640x360)'))).toBe(false);
  });
});
