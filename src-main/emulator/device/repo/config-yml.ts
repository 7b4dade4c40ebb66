/**
 * `config.yml` of the recorder checkout, per point in its history. The emulated recorder service
 * (device/recorder/recorder.py) reads it: per camera the codec and the encoder element with its properties, the
 * recording directory and container, and the media server's RTSP base.
 */

export type EncoderStage = 'x264' | 'mpp-panic' | 'h265' | 'h264-hw';

export interface CameraSpec {
  name: string;
  device: string;
  resolution: string;
  framerate: number;
}

const DEVICES = ['/dev/video22', '/dev/video0', '/dev/video11', '/dev/video33'];

export function cameraSpecs(count: number, resolution = '640x360'): CameraSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `cam${i}`,
    device: DEVICES[i] ?? `/dev/video${40 + i}`,
    resolution,
    framerate: 30,
  }));
}

interface EncoderChoice {
  codec: 'h264' | 'h265';
  element: string;
  properties: Array<[string, string | number]>;
  container: 'mp4' | 'mkv';
}

export function encoderFor(stage: EncoderStage): EncoderChoice {
  switch (stage) {
    case 'x264':
      return {
        codec: 'h264',
        element: 'x264enc',
        properties: [
          ['tune', 'zerolatency'],
          ['speed-preset', 'superfast'],
          ['bitrate', 4000],
          ['key-int-max', 30],
        ],
        container: 'mp4',
      };
    case 'mpp-panic':
      return {
        codec: 'h264',
        element: 'mpph264enc',
        properties: [
          ['bps', 8000000],
          ['bps-max', 16000000],
        ],
        container: 'mp4',
      };
    case 'h265':
      return {
        codec: 'h265',
        element: 'mpph265enc',
        properties: [
          ['bps', 8000000],
          ['bps-max', 16000000],
        ],
        container: 'mkv',
      };
    case 'h264-hw':
      return {
        codec: 'h264',
        element: 'mpph264enc',
        properties: [
          ['qp-init', 26],
          ['qp-min', 10],
          ['qp-max', 51],
          ['gop', 30],
          ['rc-mode', 'cbr'],
          ['bps', 8000000],
        ],
        container: 'mp4',
      };
  }
}

const COMMENTS: Record<EncoderStage, string> = {
  x264: '# Software H.264 (x264enc). ~30-40% CPU per stream on the RK3588.',
  'mpp-panic': '# Hardware H.264 (VPU). Cuts CPU to ~5-10% per stream.',
  h265: '# Hardware H.265 (VPU) over RTSP push. NOTE: H.265 does not play over WebRTC (WHEP).',
  'h264-hw': '# Hardware H.264 (VPU), raspberry.ninja-proven settings: QP rate control, explicit GOP, CBR.',
};

export function configYml(stage: EncoderStage, cameras: readonly CameraSpec[]): string {
  const enc = encoderFor(stage);
  const props = enc.properties.map(([k, v]) => `${k}: ${v}`).join(', ');
  const lines = [
    '# Preke R58 recorder configuration',
    COMMENTS[stage],
    // A box with nothing connected (the emulator's light mode) has an empty mapping, not a missing key.
    cameras.length === 0 ? 'cameras: {}' : 'cameras:',
    ...cameras.map(
      (c) =>
        `  ${c.name}: { device: ${c.device}, resolution: ${c.resolution}, framerate: ${c.framerate}, ` +
        `codec: ${enc.codec}, encoder: { element: ${enc.element}, properties: { ${props} } } }`,
    ),
    `recording: { dir: /var/recordings, container: ${enc.container} }`,
    'mediamtx: { rtsp: "rtsp://127.0.0.1:8554", api: "http://127.0.0.1:9997" }',
    'api: { port: 8000 }',
    '',
  ];
  return lines.join('\n');
}

/** The encoder an H.265 camera gets with the emulator's `h265Cameras` option (hardware H.265, 1 s GOP). */
export const H265_CAMERA_ENCODER =
  'codec: h265, encoder: { element: mpph265enc, properties: { rc-mode: cbr, gop: 30, bps: 8000000 } }';

/** `config.yml` with these cameras switched to H.265 (`mpph265enc`); the other lines stay as they are. */
export function withH265Cameras(yml: string, names: readonly string[]): string {
  return yml
    .split('\n')
    .map((line) => {
      const name = /^ {2}([A-Za-z0-9_-]+): \{/.exec(line)?.[1];
      if (name === undefined || !names.includes(name)) return line;
      return line.replace(
        /codec: \w+, encoder: \{ element: [\w-]+, properties: \{[^}]*\} \}/,
        H265_CAMERA_ENCODER,
      );
    })
    .join('\n');
}
