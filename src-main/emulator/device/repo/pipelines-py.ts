/**
 * `src/pipelines.py` of the recorder checkout at each stage of its history (seeds 000 and 001). On the emulated
 * device the running service reads config.yml; this file is what a person (or the console) reads and diffs.
 */
import type { EncoderStage } from './config-yml.js';

const HEADER = String.raw`"""GStreamer pipeline strings for the R58 recorder.

Ingest: one pipeline per HDMI camera, pushed to MediaMTX.
Recording: a subscriber per camera that pulls the stream back and muxes it to /var/recordings.
"""

from __future__ import annotations

RECORDINGS_DIR = "/var/recordings"
`;

const X264 = String.raw`

def get_h264_encoder(bitrate: int, platform: str = "r58") -> tuple[str, str]:
    """Software H.264. Stable, but ~30-40% CPU per stream on the RK3588."""
    encoder_str = (
        f"x264enc tune=zerolatency speed-preset=superfast "
        f"bitrate={bitrate} key-int-max=30"
    )
    caps_str = "video/x-h264,profile=baseline"
    return encoder_str, caps_str
`;

const MPP_PANIC = String.raw`

def get_h264_encoder(bitrate: int, platform: str = "r58") -> tuple[str, str]:
    """Hardware H.264 on the RK3588 VPU (~5-10% CPU per stream)."""
    if platform == "r58":
        bps = bitrate * 1000
        encoder_str = f"mpph264enc bps={bps} bps-max={bps * 2}"
        caps_str = "video/x-h264"
        return encoder_str, caps_str
    encoder_str = f"x264enc tune=zerolatency speed-preset=superfast bitrate={bitrate}"
    return encoder_str, "video/x-h264,profile=baseline"
`;

const RTMP_INGEST = String.raw`

def build_ingest_pipeline(cam_id: str, device: str, width: int, height: int, bitrate: int = 8000) -> str:
    encoder_str, caps_str = get_h264_encoder(bitrate, platform="r58")
    return (
        f"v4l2src device={device} io-mode=mmap "
        f"! video/x-raw,format=UYVY,width=3840,height=2160,framerate=30/1 "
        f"! videorate ! video/x-raw,framerate=30/1 "
        f"! videoconvert ! videoscale "
        f"! video/x-raw,width={width},height={height},format=NV12 "
        f"! queue max-size-buffers=5 max-size-time=0 max-size-bytes=0 leaky=downstream "
        f"! {encoder_str} ! {caps_str} "
        f"! h264parse ! flvmux streamable=true "
        f"! rtmpsink location=rtmp://127.0.0.1:1935/{cam_id}"
    )


def build_recording_subscriber(cam_id: str, port: int, stamp: str) -> str:
    return (
        f'udpsrc port={port} caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96" '
        f"! rtpjitterbuffer ! rtph264depay ! h264parse ! mp4mux "
        f"! filesink location={RECORDINGS_DIR}/{cam_id}_{stamp}.mp4"
    )


def build_preview_pipeline(cam_id: str, preview_bitrate: int = 2000) -> str:
    encoder_str, caps_str = get_h264_encoder(preview_bitrate, platform="r58")
    return f"{encoder_str} ! {caps_str} ! h264parse"
`;

const H265 = String.raw`

def get_h264_encoder(bitrate: int, platform: str = "r58") -> tuple[str, str]:
    """Software H.264, kept for previews."""
    encoder_str = f"x264enc tune=zerolatency speed-preset=superfast bitrate={bitrate}"
    return encoder_str, "video/x-h264,profile=baseline"


def get_h265_encoder(bitrate: int) -> tuple[str, str, str]:
    """Hardware H.265 on the RK3588 VPU. flvmux cannot carry H.265, so ingest is RTSP push."""
    bps = bitrate * 1000
    encoder_str = f"mpph265enc bps={bps} bps-max={bps * 2}"
    caps_str = "video/x-h265"
    parse_str = "h265parse"
    return encoder_str, caps_str, parse_str


def build_ingest_pipeline(cam_id: str, device: str, width: int, height: int, bitrate: int = 8000) -> str:
    encoder_str, caps_str, parse_str = get_h265_encoder(bitrate)
    return (
        f"v4l2src device={device} io-mode=mmap "
        f"! video/x-raw,format=UYVY,width=3840,height=2160,framerate=30/1 "
        f"! videorate ! video/x-raw,framerate=30/1 "
        f"! videoconvert ! videoscale "
        f"! video/x-raw,width={width},height={height},format=NV12 "
        f"! queue max-size-buffers=5 max-size-time=0 max-size-bytes=0 leaky=downstream "
        f"! {encoder_str} ! {caps_str} "
        f"! queue max-size-buffers=5 max-size-time=0 max-size-bytes=0 leaky=downstream "
        f"! {parse_str} "
        f"! rtspclientsink location=rtsp://127.0.0.1:8554/{cam_id} protocols=udp latency=0"
    )


def build_recording_subscriber(cam_id: str, port: int, stamp: str) -> str:
    return (
        f'udpsrc port={port} caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=H265,payload=96" '
        f"! rtpjitterbuffer ! rtph265depay ! h265parse ! matroskamux "
        f"! filesink location={RECORDINGS_DIR}/{cam_id}_{stamp}.mkv"
    )


def build_preview_pipeline(cam_id: str, preview_bitrate: int = 2000) -> str:
    encoder_str, caps_str = get_h264_encoder(preview_bitrate, platform="r58")
    return f"{encoder_str} ! {caps_str} ! h264parse"
`;

const H264_HW = String.raw`

def get_h264_encoder(bitrate: int, platform: str = "r58") -> tuple[str, str]:
    """Software H.264 (x264enc), the fallback when the VPU is not available."""
    encoder_str = f"x264enc tune=zerolatency speed-preset=superfast bitrate={bitrate}"
    return encoder_str, "video/x-h264,profile=baseline"


def get_h264_hardware_encoder(bitrate: int) -> tuple[str, str, str]:
    """Get H.264 hardware encoder using raspberry.ninja-proven config."""
    bps = bitrate * 1000
    encoder_str = (
        f"mpph264enc "
        f"qp-init=26 qp-min=10 qp-max=51 "
        f"gop=30 rc-mode=cbr bps={bps}"
    )
    caps_str = "video/x-h264,stream-format=byte-stream"
    parse_str = "h264parse"
    return encoder_str, caps_str, parse_str


def get_h265_encoder(bitrate: int) -> tuple[str, str, str]:
    """Hardware H.265. Not used for ingest: MediaMTX cannot serve H.265 over WebRTC (WHEP)."""
    bps = bitrate * 1000
    return f"mpph265enc bps={bps} bps-max={bps * 2}", "video/x-h265", "h265parse"


def build_ingest_pipeline(cam_id: str, device: str, width: int, height: int, bitrate: int = 8000) -> str:
    encoder_str, caps_str, parse_str = get_h264_hardware_encoder(bitrate)
    return (
        f"v4l2src device={device} io-mode=mmap "
        f"! video/x-raw,format=UYVY,width=3840,height=2160,framerate=30/1 "
        f"! videorate ! video/x-raw,framerate=30/1 "
        f"! videoconvert ! videoscale "
        f"! video/x-raw,width={width},height={height},format=NV12 "
        f"! queue max-size-buffers=5 max-size-time=0 max-size-bytes=0 leaky=downstream "
        f"! {encoder_str} ! {caps_str} "
        f"! queue max-size-buffers=5 max-size-time=0 max-size-bytes=0 leaky=downstream "
        f"! {parse_str} "
        f"! rtspclientsink location=rtsp://127.0.0.1:8554/{cam_id} protocols=udp latency=0"
    )


def build_recording_subscriber(cam_id: str, port: int, stamp: str) -> str:
    return (
        f'udpsrc port={port} caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96" '
        f"! rtpjitterbuffer ! rtph264depay ! h264parse ! mp4mux "
        f"! filesink location={RECORDINGS_DIR}/{cam_id}_{stamp}.mp4"
    )


def build_preview_pipeline(cam_id: str, preview_bitrate: int = 2000) -> str:
    encoder_str, caps_str, _ = get_h264_hardware_encoder(preview_bitrate)
    return f"{encoder_str} ! {caps_str} ! h264parse"
`;

export function pipelinesPy(stage: EncoderStage): string {
  switch (stage) {
    case 'x264':
      return HEADER + X264 + RTMP_INGEST;
    case 'mpp-panic':
      return HEADER + MPP_PANIC + RTMP_INGEST;
    case 'h265':
      return HEADER + H265;
    case 'h264-hw':
      return HEADER + H264_HW;
  }
}

/** `src/mixer/core.py`: the scene mixer's output encoder follows the same history. */
export function mixerCorePy(stage: EncoderStage): string {
  const encoder: Record<EncoderStage, string> = {
    x264: 'x264enc tune=zerolatency speed-preset=superfast bitrate={bitrate}',
    'mpp-panic': 'mpph264enc bps={bitrate * 1000} bps-max={bitrate * 2000}',
    h265: 'mpph265enc bps={bitrate * 1000} bps-max={bitrate * 2000}',
    'h264-hw': 'x264enc tune=zerolatency speed-preset=superfast bitrate={bitrate}',
  };
  const caps = stage === 'h265' ? 'video/x-h265' : 'video/x-h264,stream-format=byte-stream';
  const parse = stage === 'h265' ? 'h265parse' : 'h264parse';
  return String.raw`"""Scene mixer: composites camera inputs and pushes the program output to MediaMTX."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Slot:
    cam_id: str
    x: int
    y: int
    width: int
    height: int


@dataclass
class Scene:
    name: str
    slots: list[Slot] = field(default_factory=list)


class MixerCore:
    """One compositor; each input is decoded once (mppvideodec, one VPU session per input)."""

    def __init__(self, width: int = 1920, height: int = 1080, bitrate: int = 6000):
        self.width = width
        self.height = height
        self.bitrate = bitrate
        self.scene: Scene | None = None

    def input_branch(self, index: int, slot: Slot) -> str:
        return (
            f"rtspsrc location=rtsp://127.0.0.1:8554/{slot.cam_id} latency=0 "
            f"! rtph264depay ! h264parse ! mppvideodec ! videoconvert ! videoscale "
            f"! video/x-raw,width={slot.width},height={slot.height} ! queue ! mix.sink_{index}"
        )

    def output_encoder(self) -> str:
        bitrate = self.bitrate
        # Program output: one encoder for many viewers.
        return f"${encoder[stage]} ! ${caps} ! ${parse}"

    def build(self, scene: Scene) -> str:
        self.scene = scene
        pads = " ".join(
            f"sink_{i}::xpos={s.x} sink_{i}::ypos={s.y}" for i, s in enumerate(scene.slots)
        )
        inputs = " ".join(self.input_branch(i, s) for i, s in enumerate(scene.slots))
        return (
            f"compositor name=mix {pads} "
            f"! video/x-raw,width={self.width},height={self.height},format=NV12 "
            f"! {self.output_encoder()} "
            f"! rtspclientsink location=rtsp://127.0.0.1:8554/mixer protocols=tcp latency=0 "
            f"{inputs}"
        )
`;
}
