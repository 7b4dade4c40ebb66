/** README.md and the notes under docs/ of the recorder checkout, per stage (seeds 000, 001). */

export type ReadmeStage = 'initial' | 'recording' | 'h265' | 'h265-doc' | 'h264-hw';

const INTRO = `# Preke R58 Recorder

Multi-camera recorder for the Preke R58 (Rockchip RK3588). Captures up to four HDMI inputs, pushes each to
MediaMTX, records them to \`/var/recordings\`, and serves a small control API on port 8000.

## Running

\`\`\`bash
sudo systemctl restart preke-recorder
journalctl -u preke-recorder -f
curl -s http://127.0.0.1:8000/status
\`\`\`

## Configuration

\`config.yml\` chooses per camera the codec and the encoder element with its properties, the recording
directory and container, and the MediaMTX address.
`;

const RECORDING = `
## Recording

\`POST /record/start\` (all cameras, or \`?camera=cam0\`) starts a subscriber per camera that pulls the stream back
from MediaMTX and muxes it to \`/var/recordings/<cam>_<YYYYmmdd_HHMMSS>.<container>\`. \`POST /record/stop\` ends
it with EOS so the file is finalised. Recordings are never deleted by the service.
`;

const STREAMING_RTMP = `
## Streaming

Each camera is encoded with x264enc and pushed to MediaMTX over RTMP (\`flvmux ! rtmpsink\`).
`;

const STREAMING_RTSP = `
## Streaming

Each camera is pushed to MediaMTX with \`rtspclientsink\` (RTSP push). flvmux cannot carry H.265, so RTMP is gone.
`;

const H265_WEBRTC = `
## Known limitation: H.265 and WebRTC

MediaMTX serves WebRTC (WHEP) only for AV1, VP9, VP8, H264, Opus, G722 and G711. With H.265 ingest the browser
preview falls back to HLS, and WHEP sessions are refused. Keep H.265 for recording only, or switch ingest back to
H.264 to get WebRTC.
`;

const VPU = `
## VPU notes

- Proven encoder: \`mpph264enc qp-init=26 qp-min=10 qp-max=51 gop=30 rc-mode=cbr bps=8000000\`
  ! \`video/x-h264,stream-format=byte-stream\` ! \`h264parse\`.
- Do NOT use \`mpph264enc bps=8000000 bps-max=16000000\`: it crashed the kernel on Dec 19
  (\`Internal error: Oops: 0000000096000005 [#29] SMP\`).
- Practical VPU limit is 6-8 sessions; every mpph264enc/mpph265enc/mppvideodec is one. Check with
  \`sudo cat /sys/kernel/debug/mpp_service/session | grep -c session\`.
`;

export function readmeMd(stage: ReadmeStage): string {
  switch (stage) {
    case 'initial':
      return INTRO + STREAMING_RTMP;
    case 'recording':
      return INTRO + STREAMING_RTMP + RECORDING;
    case 'h265':
      return INTRO + STREAMING_RTSP + RECORDING;
    case 'h265-doc':
      return INTRO + STREAMING_RTSP + RECORDING + H265_WEBRTC;
    case 'h264-hw':
      return INTRO + STREAMING_RTSP + RECORDING + H265_WEBRTC + VPU;
  }
}

export const H265_MIGRATION_STATUS = `# H.265 VPU Migration - Current Status

**Date**: 2025-12-19
**Status**: PAUSED - Awaiting Manual Testing

## What We Discovered

1. **mpph264enc (H.264 VPU) is UNSTABLE**
   - Causes kernel panics: \`Internal error: Oops: 0000000096000005 [#29] SMP\`
   - Rolled back to x264enc (software encoder)
2. **mpph265enc (H.265 VPU) is UNTESTED**
   - Same MPP driver as mpph264enc (potential risk)
3. **Current architecture blocks H.265**: RTMP + flvmux does not carry H.265; switch to RTSP push.

## Testing Plan

1. Test 1: simple 30-second encode to file
2. Test 2: sustained 5-minute encode (stress test)
3. Test 3: RTSP push to MediaMTX

Stop the service first: \`sudo systemctl stop preke-recorder\`.
`;

export const FIX_LOG_PANIC = `# Fix log

## 2025-12-19 — kernel panic with mpph264enc

Switching ingest to \`mpph264enc bps=8000000 bps-max=16000000\` crashed the board within seconds:

    Internal error: Oops: 0000000096000005 [#29] SMP

Rolled back to x264enc. See H265_MIGRATION_STATUS.md for the plan.
`;

export const FIX_LOG_H264 =
  FIX_LOG_PANIC +
  `
## 2025-12-22 — H.264 hardware encoding, proven config

\`mpph264enc qp-init=26 qp-min=10 qp-max=51 gop=30 rc-mode=cbr bps=8000000\` (raspberry.ninja) runs all four
cameras without kernel errors. QP rate control and an explicit GOP avoid the driver bug path.
`;

export const H264_MIGRATION_COMPLETE = `# H.264 Hardware Encoder Migration - Complete

**Date**: December 22, 2025
**Status**: SUCCESSFUL

Migrated from H.265 hardware encoding (mpph265enc) to H.264 hardware encoding (mpph264enc) using the
raspberry.ninja-proven configuration. All cameras stream H.264, enabling WebRTC (WHEP).

    mpph264enc qp-init=26 qp-min=10 qp-max=51 gop=30 rc-mode=cbr bps=8000000

## Rollback Plan

    sudo systemctl stop preke-recorder
    cd /opt/preke-r58-recorder
    git log --oneline -5
    git reset --hard <last H.265 commit>
    sudo systemctl restart preke-recorder
`;
