import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pipelineLabel } from '../../src-main/emulator/device/kernel/index.js';

const WRAPPER = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../src-main/emulator/device/gst/gst-launch.py',
);

interface Rewritten {
  opts: { eos_on_shutdown: boolean; quiet: boolean; verbose: boolean };
  words: string[];
  hardware: Array<{ factory: string; name: string; kind: string; props: Record<string, unknown> }>;
  label: string | null;
}

/** Run the wrapper's pure functions (argv → options, rewritten words, hardware elements, label). */
function rewrite(argv: string[]): Rewritten {
  const script = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("gst_launch", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
opts, words = mod.parse_command_line(sys.argv[2:])
out, hw = mod.rewrite(words)
print(json.dumps({
  "opts": vars(opts),
  "words": out,
  "hardware": [{"factory": e.factory, "name": e.name, "kind": e.kind, "props": dict(e.hints, **e.props)} for e in hw],
  "label": mod.pipeline_label(words),
}))
`;
  const stdout = execFileSync('/usr/bin/python3', ['-c', script, WRAPPER, ...argv], { encoding: 'utf8' });
  return JSON.parse(stdout) as Rewritten;
}

const words = (s: string): string[] => s.split(/\s+/).filter(Boolean);

describe('gst-launch wrapper: description rewrite', () => {
  it('maps the proven mpph264enc config onto x264enc and keeps everything else', () => {
    const r = rewrite([
      '-e',
      ...words(
        'videotestsrc is-live=true ! video/x-raw,width=640,height=360,framerate=30/1 ! ' +
          'mpph264enc qp-init=26 qp-min=10 qp-max=51 gop=30 rc-mode=cbr bps=8000000 ! ' +
          'video/x-h264,stream-format=byte-stream ! h264parse ! rtspclientsink location=rtsp://127.0.0.1:8554/cam3 protocols=tcp latency=0',
      ),
    ]);
    expect(r.opts.eos_on_shutdown).toBe(true);
    expect(r.words.join(' ')).toBe(
      'videotestsrc is-live=true ! video/x-raw,width=640,height=360,framerate=30/1 ! ' +
        'x264enc name=mpph264enc0 tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=8000 qp-min=10 qp-max=51 ! ' +
        'video/x-h264,stream-format=byte-stream ! h264parse ! rtspclientsink location=rtsp://127.0.0.1:8554/cam3 protocols=tcp latency=0',
    );
    expect(r.hardware).toEqual([
      {
        factory: 'mpph264enc',
        name: 'mpph264enc0',
        kind: 'enc',
        props: {
          width: 640,
          height: 360,
          fps: 30,
          'qp-init': 26,
          'qp-min': 10,
          'qp-max': 51,
          gop: 30,
          'rc-mode': 'cbr',
          bps: 8000000,
        },
      },
    ]);
    expect(r.label).toBe('cam3');
  });

  it('passes the panic config through as props and drops bps-max from the software encoder', () => {
    const r = rewrite(words('videotestsrc ! mpph264enc bps=8000000 bps-max=16000000 ! fakesink'));
    expect(r.words.join(' ')).toBe(
      'videotestsrc ! x264enc name=mpph264enc0 tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=8000 ! fakesink',
    );
    expect(r.hardware[0]?.props).toEqual({ bps: 8000000, 'bps-max': 16000000 });
  });

  it('maps mpph265enc with a converter, decoders by upstream codec, and counts names per factory', () => {
    const r = rewrite(
      words(
        'videotestsrc ! tee name=t t. ! queue ! mpph265enc bps=5000000 gop=60 ! fakesink ' +
          't. ! queue ! mpph264enc name=rec ! h264parse ! mppvideodec ! fakesink ' +
          'filesrc location=/x.mkv ! matroskademux ! h265parse ! mppvideodec ! fakesink',
      ),
    );
    const text = r.words.join(' ');
    expect(text).toContain(
      'videoconvert name=mpph265enc0-convert ! x265enc name=mpph265enc0 tune=zerolatency speed-preset=ultrafast key-int-max=60 bitrate=5000',
    );
    expect(text).toContain('x264enc name=rec ');
    expect(text).toContain(
      'h264parse ! avdec_h264 name=mppvideodec0-decoder ! videoconvert name=mppvideodec0',
    );
    expect(text).toContain(
      'h265parse ! avdec_h265 name=mppvideodec1-decoder ! videoconvert name=mppvideodec1',
    );
    expect(r.hardware.map((h) => `${h.factory}:${h.name}:${h.kind}`)).toEqual([
      'mpph265enc:mpph265enc0:enc',
      'mpph264enc:rec:enc',
      'mppvideodec:mppvideodec0:dec',
      'mppvideodec:mppvideodec1:dec',
    ]);
  });

  it('keeps quoted caps and words with spaces whole, and splits a bare a!b', () => {
    const r = rewrite([
      '-q',
      'udpsrc',
      'port=5000',
      'caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96',
      '!',
      'rtph264depay',
      '!',
      'textoverlay',
      'text=cam 0 !',
      '!',
      'h264parse!mp4mux',
      '!',
      'filesink',
      'location=/var/recordings/cam0_20251222_101010.mp4',
    ]);
    expect(r.opts.quiet).toBe(true);
    expect(r.words).toContain('text=cam 0 !');
    expect(r.words.join(' ')).toContain('! h264parse ! mp4mux ! filesink location=');
    expect(r.label).toBe('cam0_20251222_101010.mp4');
    expect(r.hardware).toEqual([]);
  });

  it('computes the same label as the daemon-side scanner', () => {
    const cases = [
      '-e videotestsrc ! x264enc ! rtspclientsink location=rtsp://127.0.0.1:8554/cam2 protocols=tcp',
      '-e udpsrc port=1 ! rtph264depay ! h264parse ! matroskamux ! filesink location=/var/recordings/cam1_x.mkv',
      'videotestsrc ! fakesink',
    ];
    for (const c of cases) expect(rewrite(words(c)).label ?? undefined).toBe(pipelineLabel(words(c)));
  });
});
