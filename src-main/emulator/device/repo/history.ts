/**
 * The recorder checkout's history (seeds 000 and 001), oldest first: software x264 + RTMP, the Dec 19
 * mpph264enc panic and its rollback, the H.265/RTSP detour, and the Dec 22 switch to the proven H.264 config.
 */
import { cameraSpecs, configYml, type EncoderStage } from './config-yml.js';
import {
  FIX_LOG_H264,
  FIX_LOG_PANIC,
  H264_MIGRATION_COMPLETE,
  H265_MIGRATION_STATUS,
  readmeMd,
  type ReadmeStage,
} from './docs.js';
import { mixerCorePy, pipelinesPy } from './pipelines-py.js';

export type CommitKey =
  'initial' | 'recording' | 'mpp-panic' | 'rollback-x264' | 'h265-plan' | 'h265' | 'h265-doc' | 'h264-hw';

export interface CommitPlan {
  key: CommitKey;
  /** ISO 8601 with the Oslo offset. */
  date: string;
  subject: string;
  body?: string;
  /** The whole tree at this commit: path → content. */
  files: Record<string, string>;
  /** The encoder config.yml selects at this commit. */
  encoder: EncoderStage;
}

export interface HistoryOptions {
  cameras: number;
  resolution?: string;
}

const SERVICE_PY = String.raw`"""Entry point used by the preke-recorder unit (uvicorn src.main:app --port 8000)."""

from __future__ import annotations

import yaml


def load_config(path: str = "config.yml") -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)
`;

function tree(
  encoder: EncoderStage,
  readme: ReadmeStage,
  opts: HistoryOptions,
  extra: Record<string, string> = {},
): Record<string, string> {
  const cams = cameraSpecs(opts.cameras, opts.resolution);
  return {
    'README.md': readmeMd(readme),
    'config.yml': configYml(encoder, cams),
    'src/__init__.py': '',
    'src/main.py': SERVICE_PY,
    'src/pipelines.py': pipelinesPy(encoder),
    'src/mixer/__init__.py': '',
    'src/mixer/core.py': mixerCorePy(encoder),
    '.gitignore': '__pycache__/\n*.pyc\n/recordings/\n',
    ...extra,
  };
}

export function recorderHistory(opts: HistoryOptions): CommitPlan[] {
  const plan = (
    key: CommitKey,
    date: string,
    subject: string,
    encoder: EncoderStage,
    readme: ReadmeStage,
    extra: Record<string, string> = {},
    body?: string,
  ): CommitPlan => ({
    key,
    date,
    subject,
    encoder,
    files: tree(encoder, readme, opts, extra),
    ...(body ? { body } : {}),
  });
  const panicNotes = { 'H265_MIGRATION_STATUS.md': H265_MIGRATION_STATUS, 'docs/fix-log.md': FIX_LOG_PANIC };
  return [
    plan(
      'initial',
      '2025-12-15T10:12:31+01:00',
      'Initial recorder: HDMI cameras, x264enc software encoding, RTMP to MediaMTX',
      'x264',
      'initial',
    ),
    plan(
      'recording',
      '2025-12-17T14:30:08+01:00',
      'Add recording subscriber (MP4 per camera in /var/recordings)',
      'x264',
      'recording',
    ),
    plan(
      'mpp-panic',
      '2025-12-19T09:41:52+01:00',
      'Switch to mpph264enc hardware encoder to cut CPU',
      'mpp-panic',
      'recording',
      {},
      'x264enc uses ~30-40% CPU per stream; the VPU should bring it to ~5-10%.\n\n' +
        'Encoder: mpph264enc bps=8000000 bps-max=16000000',
    ),
    plan(
      'rollback-x264',
      '2025-12-19T11:02:17+01:00',
      'Roll back to x264enc after kernel panic',
      'x264',
      'recording',
      { 'docs/fix-log.md': FIX_LOG_PANIC },
      'mpph264enc bps=8000000 bps-max=16000000 crashed the board:\n\n' +
        '    Internal error: Oops: 0000000096000005 [#29] SMP\n\n' +
        'Back to software encoding until the VPU is qualified.',
    ),
    plan(
      'h265-plan',
      '2025-12-19T16:20:44+01:00',
      'Add H.265 VPU test plan and migration status',
      'x264',
      'recording',
      panicNotes,
    ),
    plan(
      'h265',
      '2025-12-20T13:05:09+01:00',
      'Switch to H.265 hardware encoding (mpph265enc) with RTSP push',
      'h265',
      'h265',
      panicNotes,
      'flvmux cannot carry H.265, so ingest moves from RTMP to rtspclientsink.\n' +
        'Recording subscriber: rtph265depay ! h265parse ! matroskamux.',
    ),
    plan(
      'h265-doc',
      '2025-12-21T10:48:36+01:00',
      'Document H.265/WebRTC incompatibility',
      'h265',
      'h265-doc',
      panicNotes,
    ),
    plan(
      'h264-hw',
      '2025-12-22T15:17:03+01:00',
      'Switch to H.264 hardware encoding (mpph264enc)',
      'h264-hw',
      'h264-hw',
      {
        'H265_MIGRATION_STATUS.md': H265_MIGRATION_STATUS,
        'H264_HARDWARE_MIGRATION_COMPLETE.md': H264_MIGRATION_COMPLETE,
        'docs/fix-log.md': FIX_LOG_H264,
      },
      'Use the raspberry.ninja-proven configuration:\n\n' +
        '    mpph264enc qp-init=26 qp-min=10 qp-max=51 gop=30 rc-mode=cbr bps=8000000\n\n' +
        'H.264 enables WebRTC (WHEP) in MediaMTX. Recording back to rtph264depay ! h264parse ! mp4mux.',
    ),
  ];
}
