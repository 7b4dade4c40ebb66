#!/usr/bin/python3
"""RTSP ingest for the emulated R58's media server (the MediaMTX stand-in).

Takes `rtspclientsink` pushes (RECORD, over TCP-interleaved or UDP) on the configured paths with gst-rtsp-server,
piped to it by the media server's RTSP front (rtsp/rtsp-front.ts, which serves RTSP readers itself),
and hands each path's video to the Node process as RTP on a local UDP port. The video is re-payloaded on the
way: depayload, parse with SPS/PPS (VPS) inserted before every keyframe, payload again with pt 96, so a reader
that joins late, or a recording subscriber, can start at any keyframe.

Run with the system Python that has PyGObject (`/usr/bin/python3`), never a pyenv build.

    rtsp_ingest.py --port 8554 [--host 0.0.0.0] --path cam0=127.0.0.1:40001 [--path …] [--session-timeout 10]

Stdout carries one JSON object per line for the parent (events below); everything else goes to stderr.

    {"event": "ready", "port": 8554}
    {"event": "publish", "path": "cam0", "id": "<uuid>", "codec": "H264", "transport": "udp", "remote": "…",
     "remotePort": 40000}
    {"event": "format", "path": "cam0", "id": "<uuid>", "codec": "H264", "width": 640, "height": 360,
     "profile": "constrained-baseline", "level": "3"}
    {"event": "unpublish", "path": "cam0", "id": "<uuid>", "reason": "…"}

The process exits when its stdin closes (the parent died) or on SIGTERM/SIGINT.
"""

import argparse
import json
import re
import signal
import sys
import threading
import uuid

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

_print_lock = threading.Lock()

# What each announced codec goes through on its way to the Node process. The chain is built when the stream's
# caps arrive, because gst-rtsp-server creates the media element before the ANNOUNCE body is visible to us.
CHAINS = {
    "H264": (
        "rtph264depay ! h264parse name=parse config-interval=-1 "
        "! rtph264pay config-interval=0 pt=96 mtu={mtu} "
        "! udpsink host={host} port={port} sync=false async=false"
    ),
    "H265": (
        "rtph265depay ! h265parse name=parse config-interval=-1 "
        "! rtph265pay config-interval=0 pt=96 mtu={mtu} "
        "! udpsink host={host} port={port} sync=false async=false"
    ),
}

# Payloads up to 1200 bytes keep SRTP packets under a 1280-byte path MTU when the Node side forwards them.
RTP_MTU = 1200


def emit(event: dict) -> None:
    line = json.dumps(event, separators=(",", ":"))
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def log(message: str) -> None:
    with _print_lock:
        sys.stderr.write(f"rtsp_ingest: {message}\n")
        sys.stderr.flush()


def codec_from_sdp(sdp: str) -> str | None:
    """The first video codec announced in an SDP body, as MediaMTX names it (H264, H265), or None."""
    in_video = False
    for raw in sdp.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            in_video = line.startswith("m=video")
            continue
        if not in_video:
            continue
        m = re.match(r"a=rtpmap:\d+\s+([A-Za-z0-9-]+)/", line)
        if m:
            name = m.group(1).upper()
            if name == "H264":
                return "H264"
            if name in ("H265", "HEVC"):
                return "H265"
            return name
    return None


def remote_port(conn: GstRtsp.RTSPConnection | None) -> int:
    """The client's port: the media server's RTSP front pipes publishers in, and maps this back to who it is."""
    try:
        return conn.get_read_socket().get_remote_address().get_port() if conn is not None else 0
    except (AttributeError, GLib.Error):
        return 0


class Publish:
    """One publisher session on one path: its media is built at ANNOUNCE and lives until it is unprepared."""

    def __init__(self, path: str) -> None:
        self.id = str(uuid.uuid4())
        self.path = path
        self.codec = "unknown"
        self.client: GstRtspServer.RTSPClient | None = None
        self.transport = "unknown"
        self.announced = False
        self.ended = False
        self.last_format: tuple[int, int, str, str] | None = None


class PathFactory(GstRtspServer.RTSPMediaFactory):
    """RECORD-mode media factory for one path.

    The media element is a bin with `identity name=depay0` (gst-rtsp-server takes the RTP stream into the element
    named depay0). When the stream's caps arrive, the chain for its codec is linked behind it.
    """

    def __init__(self, ingest: "Ingest", path: str, host: str, port: int) -> None:
        super().__init__()
        self.ingest = ingest
        self.path = path
        self.host = host
        self.port = port
        self.constructing: Publish | None = None
        self.set_transport_mode(GstRtspServer.RTSPTransportMode.RECORD)
        self.set_shared(False)
        self.set_latency(0)
        self.set_stop_on_disconnect(True)
        self.connect("media-configure", self._on_media_configure)

    def do_create_element(self, url: GstRtsp.RTSPUrl) -> Gst.Element | None:
        publish = Publish(self.path)
        self.constructing = publish
        element = Gst.Bin.new(None)
        entry = Gst.ElementFactory.make("identity", "depay0")
        element.add(entry)
        entry.get_static_pad("src").add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, self._on_event, (element, publish))
        return element

    def _on_media_configure(self, _factory: GstRtspServer.RTSPMediaFactory, media: GstRtspServer.RTSPMedia) -> None:
        publish = self.constructing
        if publish is None:
            return
        media.connect("unprepared", lambda _m: GLib.idle_add(self.ingest.end, publish, "media unprepared"))

    def _on_event(self, pad: Gst.Pad, info: Gst.PadProbeInfo, data: tuple[Gst.Bin, Publish]) -> Gst.PadProbeReturn:
        event = info.get_event()
        if event is None or event.type != Gst.EventType.CAPS:
            return Gst.PadProbeReturn.OK
        element, publish = data
        caps = event.parse_caps()
        name = caps.get_structure(0).get_string("encoding-name") if caps.get_size() else None
        codec = "H265" if name in ("H265", "HEVC") else (name or "unknown")
        if pad.is_linked():
            return Gst.PadProbeReturn.OK
        description = CHAINS.get(codec, "fakesink sync=false async=false")
        chain = Gst.parse_bin_from_description(
            description.format(mtu=RTP_MTU, host=self.host, port=self.port), True
        )
        element.add(chain)
        parse = chain.get_by_name("parse")
        if parse is not None:
            parse.get_static_pad("src").connect("notify::caps", self._on_caps, publish)
        pad.link(chain.get_static_pad("sink"))
        chain.sync_state_with_parent()
        return Gst.PadProbeReturn.OK

    def _on_caps(self, pad: Gst.Pad, _pspec: object, publish: Publish) -> None:
        caps = pad.get_current_caps()
        if caps is None or caps.get_size() == 0:
            return
        s = caps.get_structure(0)
        ok_w, width = s.get_int("width")
        ok_h, height = s.get_int("height")
        fmt = (width if ok_w else 0, height if ok_h else 0, s.get_string("profile") or "", s.get_string("level") or "")
        if fmt == publish.last_format:
            return
        publish.last_format = fmt
        GLib.idle_add(self.ingest.report_format, publish)


class Ingest:
    def __init__(self, host: str, port: int, paths: dict[str, tuple[str, int]], session_timeout: int) -> None:
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address(host)
        self.server.set_service(str(port))
        self.session_timeout = session_timeout
        self.factories: dict[str, PathFactory] = {}
        # path -> its publisher; a new ANNOUNCE replaces the old one, as MediaMTX's overridePublisher does
        self.active: dict[str, Publish] = {}
        mounts = self.server.get_mount_points()
        for name, (fwd_host, fwd_port) in paths.items():
            factory = PathFactory(self, name, fwd_host, fwd_port)
            self.factories[name] = factory
            mounts.add_factory("/" + name, factory)
        self.server.connect("client-connected", self._on_client_connected)

    def start(self) -> int:
        if self.server.attach(None) == 0:
            raise RuntimeError("cannot listen")
        # Sessions of publishers that vanished without TEARDOWN expire; the pool needs a periodic sweep.
        GLib.timeout_add_seconds(1, self._cleanup)
        return self.server.get_bound_port()

    def _cleanup(self) -> bool:
        self.server.get_session_pool().cleanup()
        return True

    def _on_client_connected(self, _server: GstRtspServer.RTSPServer, client: GstRtspServer.RTSPClient) -> None:
        client.connect("pre-announce-request", self._on_pre_announce)
        client.connect("setup-request", self._on_setup)
        client.connect("record-request", self._on_record)
        client.connect("new-session", self._on_new_session)
        client.connect("closed", self._on_client_closed)

    @staticmethod
    def _path_of(ctx: GstRtspServer.RTSPContext) -> str:
        return (ctx.uri.abspath if ctx.uri else "").strip("/")

    def _on_pre_announce(
        self, client: GstRtspServer.RTSPClient, ctx: GstRtspServer.RTSPContext
    ) -> GstRtsp.RTSPStatusCode:
        path = self._path_of(ctx)
        factory = self.factories.get(path)
        publish = factory.constructing if factory else None
        if factory is None or publish is None:
            return GstRtsp.RTSPStatusCode.NOT_FOUND
        factory.constructing = None
        sdp = ""
        if ctx.request is not None:
            res, body = ctx.request.get_body()
            if res == GstRtsp.RTSPResult.OK and body:
                sdp = bytes(body).decode("utf-8", "replace")
        codec = codec_from_sdp(sdp)
        if codec not in CHAINS:
            log(f"refusing publish on {path}: unsupported codec {codec}")
            return GstRtsp.RTSPStatusCode.UNSUPPORTED_MEDIA_TYPE
        previous = self.active.get(path)
        if previous is not None and not previous.ended:
            log(f"path {path}: a new publisher replaces the old one")
            self.end(previous, "replaced by a new publisher")
            if previous.client is not None and previous.client is not client:
                previous.client.close()
        publish.codec = codec
        publish.client = client
        self.active[path] = publish
        return GstRtsp.RTSPStatusCode.OK

    def _on_setup(self, client: GstRtspServer.RTSPClient, ctx: GstRtspServer.RTSPContext) -> None:
        publish = self.active.get(self._path_of(ctx).rsplit("/", 1)[0])
        if publish is None or publish.client is not client or ctx.trans is None:
            return
        transport = ctx.trans.get_transport()
        if transport is not None:
            publish.transport = "tcp" if transport.lower_transport & GstRtsp.RTSPLowerTrans.TCP else "udp"

    def _on_new_session(self, _client: GstRtspServer.RTSPClient, session: GstRtspServer.RTSPSession) -> None:
        session.set_timeout(self.session_timeout)

    def _on_record(self, client: GstRtspServer.RTSPClient, ctx: GstRtspServer.RTSPContext) -> None:
        publish = self.active.get(self._path_of(ctx))
        if publish is None or publish.client is not client or publish.announced or publish.ended:
            return
        publish.announced = True
        conn = client.get_connection()
        emit(
            {
                "event": "publish",
                "path": publish.path,
                "id": publish.id,
                "codec": publish.codec,
                "transport": publish.transport,
                "remote": conn.get_ip() if conn is not None else "",
                "remotePort": remote_port(conn),
            }
        )
        self.report_format(publish)

    def report_format(self, publish: Publish) -> bool:
        if publish.announced and not publish.ended and publish.last_format is not None:
            width, height, profile, level = publish.last_format
            emit(
                {
                    "event": "format",
                    "path": publish.path,
                    "id": publish.id,
                    "codec": publish.codec,
                    "width": width,
                    "height": height,
                    "profile": profile,
                    "level": level,
                }
            )
        return False

    def _on_client_closed(self, client: GstRtspServer.RTSPClient) -> None:
        for publish in list(self.active.values()):
            if publish.client is client:
                self.end(publish, "publisher disconnected")

    def end(self, publish: Publish, reason: str) -> bool:
        if publish.ended:
            return False
        publish.ended = True
        if self.active.get(publish.path) is publish:
            del self.active[publish.path]
        if publish.announced:
            emit({"event": "unpublish", "path": publish.path, "id": publish.id, "reason": reason})
        return False


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8554)
    parser.add_argument("--session-timeout", type=int, default=10)
    parser.add_argument("--path", action="append", default=[], help="name=host:port (repeatable)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    Gst.init(None)
    args = parse_args(argv)
    paths: dict[str, tuple[str, int]] = {}
    for spec in args.path:
        m = re.fullmatch(r"([A-Za-z0-9_.~-]+)=([0-9.]+):(\d+)", spec)
        if not m:
            log(f"bad --path {spec!r}")
            return 2
        paths[m.group(1)] = (m.group(2), int(m.group(3)))
    ingest = Ingest(args.host, args.port, paths, args.session_timeout)
    try:
        port = ingest.start()
    except RuntimeError as error:
        log(f"{error} on {args.host}:{args.port}")
        return 1
    loop = GLib.MainLoop()

    def stop(*_args: object) -> bool:
        loop.quit()
        return False

    def on_stdin(source: object, condition: GLib.IOCondition) -> bool:
        data = sys.stdin.buffer.read1(4096) if condition & GLib.IO_IN else b""
        if not data:
            loop.quit()
            return False
        return True

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, stop)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, stop)
    GLib.io_add_watch(sys.stdin.fileno(), GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, on_stdin)
    emit({"event": "ready", "port": port})
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
