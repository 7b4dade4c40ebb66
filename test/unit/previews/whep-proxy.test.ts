import { describe, expect, it } from 'vitest';
import {
  CODEC_DETAIL,
  consoleLocation,
  explainError,
  parsePreviewPath,
} from '../../../src-main/core/previews/whep-proxy.js';

describe('preview proxy addresses', () => {
  it('parses WHEP, session and HLS requests', () => {
    expect(parsePreviewPath('/previews/dev-1/cam0/whep')).toEqual({
      kind: 'whep',
      deviceId: 'dev-1',
      path: 'cam0',
    });
    expect(parsePreviewPath('/previews/dev-1/live/cam0/whep')).toEqual({
      kind: 'whep',
      deviceId: 'dev-1',
      path: 'live/cam0',
    });
    expect(parsePreviewPath('/previews/dev-1/cam0/whep/0a1b2c')).toEqual({
      kind: 'session',
      deviceId: 'dev-1',
      path: 'cam0',
      secret: '0a1b2c',
    });
    expect(parsePreviewPath('/previews/dev-1/cam0/hls/index.m3u8')).toEqual({
      kind: 'hls',
      deviceId: 'dev-1',
      path: 'cam0',
      file: 'index.m3u8',
    });
  });

  it('refuses traversal, odd characters and short paths', () => {
    expect(parsePreviewPath('/previews/dev-1/../whep')).toBeNull();
    expect(parsePreviewPath('/previews/dev-1/%2e%2e/whep')).toBeNull();
    expect(parsePreviewPath('/previews/dev-1/cam0%2F..%2F/whep')).toBeNull();
    expect(parsePreviewPath('/previews/dev-1/cam%ZZ/whep')).toBeNull();
    expect(parsePreviewPath('/previews/dev-1/whep')).toBeNull();
    expect(parsePreviewPath('/previews/dev-1/cam0/other')).toBeNull();
    expect(parsePreviewPath('/elsewhere/dev-1/cam0/whep')).toBeNull();
  });

  it('makes the device’s Location console-relative', () => {
    expect(consoleLocation('dev 1', '/cam0/whep/abc')).toBe('/previews/dev%201/cam0/whep/abc');
    expect(consoleLocation('d', 'http://10.231.7.2:8889/cam0/whep/abc')).toBe('/previews/d/cam0/whep/abc');
  });

  it('keeps MediaMTX’s codec refusal and adds why; other errors pass unchanged', () => {
    const codec =
      '{"error":"the stream doesn\'t contain any supported codec, which are currently AV1, VP9, VP8, H264, Opus, G722, G711"}';
    const out = JSON.parse(explainError(400, codec)) as { error: string; detail: string };
    expect(out.error).toMatch(/^the stream doesn't contain any supported codec/);
    expect(out.detail).toBe(CODEC_DETAIL);
    const offline = '{"error":"no stream is available on path \'cam3\'"}';
    expect(explainError(404, offline)).toBe(offline);
    expect(explainError(400, '{"error":"path \'nope\' is not configured"}')).toBe(
      '{"error":"path \'nope\' is not configured"}',
    );
  });
});
