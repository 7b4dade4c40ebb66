#!/usr/bin/python3
"""Tally's scene mixer agent, run on the recorder box by Debian's /usr/bin/python3 (stdlib + PyGObject).

    tally_mixer.py run      one AgentConfig JSON line on stdin; builds ONE long-lived GStreamer pipeline (cameras
                            from MediaMTX over RTSP, decoded once each, into a compositor, x264enc, pushed to
                            MediaMTX's program path) and changes it live. Prints `@ready <pid>` once the program
                            flows, or `@failed <reason>` and exits 1. Exits 0 after a `stop` (or SIGTERM/SIGINT).
                            After `@ready`, a program-side fault (the push lost, no program frames) rebuilds the
                            pipeline in the same process, with backoff; it exits 1 only after PROGRAM_ATTEMPTS
                            rebuilds in a row that pushed no program.
    tally_mixer.py attach   imports no gi: relays stdin lines to the running agent's socket and its lines to
                            stdout until either side closes (exit 0), or exits 3 when no agent runs.

Files, in ~/.tally/mixer/: `lock` (flock held for the agent's life; holds its pid), `ctl.sock` (JSON lines, the
protocol in Tally's src-main/core/mixer/agent-protocol.ts), `state.json` (written atomically on every change).

Each camera is one input: rtspsrc ! depay ! parse ! decoder ! tee. Every place a camera shows (a box of the scene
on Program, on Preview, or fading out) is one layer: a tee branch (leaky queue, videocrop) into a compositor pad of
its own. A take lays out the new scene on hidden layers (alpha 0) and then changes alphas on the compositor's
timeline, so every box changes on the same output frame.
"""

import fcntl
import hashlib
import json
import os
import select
import signal
import socket
import sys
import threading
import time
from datetime import datetime, timezone

MIXER_DIR = os.path.join(os.path.expanduser("~"), ".tally", "mixer")
SOCK_PATH = os.path.join(MIXER_DIR, "ctl.sock")
LOCK_PATH = os.path.join(MIXER_DIR, "lock")
STATE_PATH = os.path.join(MIXER_DIR, "state.json")

TAKES_KEPT = 50
# A camera that stops shows the layer below after this long, instead of its frozen last frame.
LAST_BUFFER_REPEAT_NS = 500_000_000
STALLED_AFTER_S = 1.0
RESTART_STALLED_AFTER_S = 3.0
# rtspsrc only warns when its connection closes before the first frame, then waits: restart such an input.
FIRST_FRAME_WITHIN_S = 8.0
NO_OUTPUT_AFTER_S = 2.0
READY_WITHIN_S = 30.0
STOP_WITHIN_S = 5.0
RETRY_BACKOFF_S = (1, 2, 4, 8, 10)
# Rebuilds of the program pipeline in a row without a second of program frames before the agent gives up.
PROGRAM_ATTEMPTS = 5
# No program frames for this long while they should flow (a push that blocks: MediaMTX wedged): rebuild.
PROGRAM_STALL_S = 5.0
# A rebuilt pipeline connects to MediaMTX and prerolls before its first frame.
REBUILD_GRACE_S = 5.0
HEALTH_TICK_MS = 500
TAKE_POLL_MS = 40
# Layers coming on air sit above the ones on air (1 + z) until the transition ends.
INCOMING_Z = 17

Gst = GLib = GstController = None  # imported by `run` only: `attach` must start fast and without gi


def epoch_ms():
    return int(time.time() * 1000)


def iso_now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def agent_version():
    with open(os.path.abspath(__file__), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:12]


def write_atomically(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------------------------
# attach


def attach():
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(SOCK_PATH)
    except OSError as err:
        sys.stderr.write("no mixer runs (%s: %s)\n" % (SOCK_PATH, err.strerror or err))
        return 3
    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    sources = [stdin, sock]
    try:
        while True:
            readable, _, _ = select.select(sources, [], [])
            if stdin in readable:
                data = os.read(stdin, 65536)
                if data:
                    sock.sendall(data)
                else:
                    # The agent answers what it was sent, then closes its end.
                    sock.shutdown(socket.SHUT_WR)
                    sources = [sock]
            if sock in readable:
                data = sock.recv(65536)
                if not data:
                    return 0
                while data:
                    data = data[os.write(stdout, data):]
    except (BrokenPipeError, ConnectionResetError):
        return 0


# ---------------------------------------------------------------------------------------------------------------
# Geometry: what is visible (the tally lights)


def rect_of(box):
    return (box["x"], box["y"], box["x"] + box["w"], box["y"] + box["h"])


def subtract(rect, cut):
    """The parts of rect (x0, y0, x1, y1) outside cut, as up to four rects."""
    x0, y0, x1, y1 = rect
    cx0, cy0, cx1, cy1 = cut
    if cx0 >= x1 or cx1 <= x0 or cy0 >= y1 or cy1 <= y0:
        return [rect]
    parts = []
    if cy0 > y0:
        parts.append((x0, y0, x1, cy0))
    if cy1 < y1:
        parts.append((x0, cy1, x1, y1))
    top, bottom = max(y0, cy0), min(y1, cy1)
    if cx0 > x0:
        parts.append((x0, top, cx0, bottom))
    if cx1 < x1:
        parts.append((cx1, top, x1, bottom))
    return parts


def visible_cameras(boxes):
    """Cameras with at least one box inside the frame and not wholly covered by the boxes above it."""
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i]["z"], i))
    seen = []
    for pos, i in enumerate(order):
        x0, y0, x1, y1 = rect_of(boxes[i])
        left = [(max(x0, 0.0), max(y0, 0.0), min(x1, 1.0), min(y1, 1.0))]
        left = [r for r in left if r[2] - r[0] > 1e-6 and r[3] - r[1] > 1e-6]
        for j in order[pos + 1 :]:
            left = [part for r in left for part in subtract(r, rect_of(boxes[j]))]
            left = [r for r in left if r[2] - r[0] > 1e-6 and r[3] - r[1] > 1e-6]
        camera = boxes[i]["camera"]
        if left and camera not in seen:
            seen.append(camera)
    return sorted(seen)


def covered_by(box, boxes):
    """True when `boxes` (opaque) cover `box` wholly."""
    left = [rect_of(box)]
    for other in boxes:
        left = [part for r in left for part in subtract(r, rect_of(other))]
    return not any(r[2] - r[0] > 1e-6 and r[3] - r[1] > 1e-6 for r in left)


def control_value(cs, timestamp, default):
    """What a control source gives at `timestamp`, or `default` when it has no keys (`cs.get_value` is the
    struct's function pointer in PyGObject, so the method is reached by its other name)."""
    ok, value = cs.control_source_get_value(timestamp)
    return value if ok else default


# ---------------------------------------------------------------------------------------------------------------
# The pipeline's parts


class Layer:
    """One place a camera shows: a tee branch into a compositor pad of its own, with an alpha controller."""

    def __init__(self, camera):
        self.camera = camera
        self.role = None  # "program", "preview", "incoming", "outgoing", or None (idle)
        self.box = None
        self.alpha = 0.0  # what it settles at
        self.zorder = 1
        self.pad = None
        self.cs = None
        self.branch = None  # (tee pad, queue, videocrop, ghost pad)


class Input:
    """One camera: rtspsrc ! depay ! parse ! decoder ! tee, with its layers."""

    def __init__(self, name, software):
        self.name = name
        self.software = software
        self.bin = None
        self.tee = None
        self.generation = 0
        self.layers = []
        self.size = None
        self.frames = 0
        self.frames_at_tick = 0
        self.last_frame = None
        self.started = None
        self.fps = None
        self.state = "starting"
        self.error = None
        self.attempts = 0
        self.retry_at = None

    def idle_layer(self):
        return next((layer for layer in self.layers if layer.role is None), None)


class Client:
    def __init__(self, sock):
        self.sock = sock
        self.inbuf = b""
        self.outbuf = b""
        self.watch_out = None


class Agent:
    def __init__(self, config):
        self.config = config
        out = config["output"]
        self.width, self.height, self.fps = out["width"], out["height"], out["fps"]
        self.frame_ns = Gst.SECOND // self.fps
        self.loop = GLib.MainLoop()
        self.pid = os.getpid()
        self.started_at = iso_now()
        self.version = agent_version()
        self.inputs = {}
        self.program = None
        self.preview = None
        self.transition = None
        self.pending_take = None
        self.last_seq, self.takes = self.previous_takes()
        self.clients = []
        self.stopping = False
        self.ready = False
        self.exit_code = 0
        self.out_fps = None
        self.out_pts = None
        self.last_out = None
        self.pts_backwards = False
        self.pushed = 0
        self.pushed_at_tick = 0
        self.health_problem = None
        self.rebuild_timer = None  # set while the program pipeline is torn down, waiting to be rebuilt
        self.attempts = 0  # rebuilds since the program last flowed
        self.restarts = 0
        self.pushed_at_build = 0
        self.frames_expected_from = 0.0
        self.last_signature = None
        self.last_push = 0.0
        self.server = None
        self.watchdog = None

    # -- start ------------------------------------------------------------------------------------------------

    def previous_takes(self):
        """lastSeq and the takes ring of an earlier run, so a replayed take is still a duplicate after a restart."""
        try:
            with open(STATE_PATH, encoding="utf-8") as f:
                old = json.load(f)
            return dict(old.get("lastSeq") or {}), list(old.get("takes") or [])[-TAKES_KEPT:]
        except (OSError, ValueError, AttributeError):
            return {}, []

    def pipeline_text(self):
        raw = "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1" % (self.width, self.height, self.fps)
        out = self.config["output"]
        return " ".join(
            [
                "compositor name=mix force-live=true ignore-inactive-pads=true start-time-selection=zero",
                "background=black latency=%d min-upstream-latency=250000000 sink_0::zorder=0" % self.frame_ns,
                "! %s" % raw,
                # rtspclientsink holds each frame until its running time plus the pipeline latency; the queue
                # must hold that wait (a 2-buffer queue leaked all but ~4 frames a second), and still drops old
                # frames rather than hold the compositor up when the encoder falls behind for good.
                "! queue max-size-buffers=0 max-size-time=1000000000 max-size-bytes=0 leaky=downstream",
                "! x264enc tune=zerolatency speed-preset=superfast key-int-max=%d bitrate=%d"
                % (self.fps, out["bitrateKbps"]),
                "! video/x-h264,profile=constrained-baseline",
                "! h264parse name=outparse config-interval=-1",
                "! rtspclientsink name=out location=%s/%s protocols=tcp latency=0"
                % (self.config["rtspBase"].rstrip("/"), out["path"]),
                "videotestsrc is-live=true pattern=black ! %s ! mix.sink_0" % raw,
            ]
        )

    def build(self):
        self.pipeline = Gst.parse_launch(self.pipeline_text())
        self.mix = self.pipeline.get_by_name("mix")
        # force-live is construct-only in newer GStreamer: it only counts if it took.
        if not self.mix.get_property("force-live"):
            raise RuntimeError("the compositor did not take force-live=true")
        self.mix.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self.on_mixed_frame)
        self.pipeline.get_by_name("outparse").get_static_pad("src").add_probe(
            Gst.PadProbeType.BUFFER, self.on_pushed_frame
        )
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)

    def run(self):
        try:
            self.build()
        except (GLib.Error, RuntimeError) as err:
            print("@failed cannot build the pipeline: %s" % err, flush=True)
            return 1
        if self.config.get("program"):
            self.put_on_program_at_start(self.config["program"])
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            print("@failed the pipeline did not start", flush=True)
            return 1
        self.serve()
        for sig in (signal.SIGTERM, signal.SIGINT):
            GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, self.on_stop_signal)
        # The emulator's wedge fault signals by label; the mixer is not a camera pipeline and stays as it is.
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGUSR1, lambda: GLib.SOURCE_CONTINUE)
        GLib.timeout_add(HEALTH_TICK_MS, self.on_tick)
        self.ready_deadline = time.monotonic() + READY_WITHIN_S
        GLib.timeout_add(50, self.wait_ready)
        self.loop.run()
        self.arm_exit_watchdog(STOP_WITHIN_S)
        self.pipeline.set_state(Gst.State.NULL)
        self.close_server()
        return self.exit_code

    def arm_exit_watchdog(self, seconds):
        """
        A wedged element (rtspclientsink has been seen to hang in its teardown) must not keep the agent, and its
        decoders, alive once it is ending: the process ends by itself if it is still there after `seconds`.
        """
        if self.watchdog is not None:
            return
        self.watchdog = threading.Timer(seconds, self.exit_now)
        self.watchdog.daemon = True
        self.watchdog.start()

    def exit_now(self):
        sys.stderr.write("the pipeline did not tear down in time: exiting without it\n")
        sys.stderr.flush()
        try:
            os.unlink(SOCK_PATH)
        except OSError:
            pass
        os._exit(self.exit_code)

    def wait_ready(self):
        if self.pushed > 0:
            self.ready = True
            self.frames_expected_from = time.monotonic()
            self.changed()
            print("@ready %d" % self.pid, flush=True)
            return False
        if time.monotonic() > self.ready_deadline:
            self.fail("no program frames within %d s" % READY_WITHIN_S)
            return False
        return True

    def fail(self, reason):
        """A program fault: report it, and end (before @ready: `@failed`)."""
        self.health_problem = reason
        self.changed(force=True)
        if not self.ready:
            print("@failed %s" % reason, flush=True)
        sys.stderr.write("program fault: %s\n" % reason)
        self.exit_code = 1
        self.loop.quit()

    # -- probes (streaming threads: counters only) -------------------------------------------------------------

    def on_mixed_frame(self, _pad, info):
        pts = info.get_buffer().pts
        if self.out_pts is not None and pts != Gst.CLOCK_TIME_NONE and pts < self.out_pts:
            self.pts_backwards = True
        self.out_pts = pts
        return Gst.PadProbeReturn.OK

    def on_pushed_frame(self, _pad, _info):
        """A frame on its way into rtspclientsink: what viewers get, so health and outFps count here."""
        self.pushed += 1
        self.last_out = time.monotonic()
        return Gst.PadProbeReturn.OK

    def on_input_data(self, _pad, info, inp, generation):
        if info.type & Gst.PadProbeType.BUFFER:
            inp.frames += 1
            inp.last_frame = time.monotonic()
            return Gst.PadProbeReturn.OK
        event = info.get_event()
        if event.type == Gst.EventType.CAPS:
            s = event.parse_caps().get_structure(0)
            GLib.idle_add(self.on_input_size, inp, generation, s.get_int("width")[1], s.get_int("height")[1])
        elif event.type == Gst.EventType.EOS:
            # The camera's stream ended (its publisher left): never let EOS reach the compositor.
            GLib.idle_add(self.restart_input, inp, generation, "%s: the stream ended" % inp.name)
            return Gst.PadProbeReturn.DROP
        return Gst.PadProbeReturn.OK

    # -- bus --------------------------------------------------------------------------------------------------

    def on_message(self, _bus, msg):
        t = msg.type
        if t == Gst.MessageType.ERROR or t == Gst.MessageType.WARNING:
            if not self.in_pipeline(msg.src):
                return True  # from an input branch already torn down
            err, debug = msg.parse_error() if t == Gst.MessageType.ERROR else msg.parse_warning()
            inp = self.input_of(msg.src)
            # rtspsrc only warns when its server closes the connection before the first frame, and rtspclientsink
            # when MediaMTX drops the publish (a kick, a restart); then it takes frames on and sends them nowhere.
            fatal = t == Gst.MessageType.ERROR or err.domain == GLib.quark_to_string(Gst.ResourceError.quark())
            if inp is not None and fatal:
                self.restart_input(inp, inp.generation, "%s: %s" % (inp.name, err.message))
            elif inp is None and fatal:
                self.on_program_fault(t == Gst.MessageType.ERROR, self.fault_text(msg.src, err, debug))
        elif t == Gst.MessageType.EOS and self.stopping:
            self.loop.quit()
        elif t == Gst.MessageType.LATENCY:
            self.pipeline.recalculate_latency()
        return True

    def fault_text(self, src, err, debug):
        """`rtspclientsink: Could not read from resource. The server closed the connection.`: the kind of the
        pipeline's element it came from, the message, and the last line of the debug text (the cause)."""
        while src is not None and src.get_parent() not in (None, self.pipeline):
            src = src.get_parent()
        factory = src.get_factory() if isinstance(src, Gst.Element) else None
        where = factory.get_name() if factory else "pipeline"
        lines = (debug or "").strip().splitlines()
        cause = " " + lines[-1].strip() if len(lines) > 1 else ""
        return "%s: %s%s" % (where, err.message, cause)

    def in_pipeline(self, obj):
        while obj is not None and obj != self.pipeline:
            obj = obj.get_parent()
        return obj is not None

    def input_of(self, obj):
        while obj is not None:
            for inp in self.inputs.values():
                if inp.bin is not None and obj == inp.bin:
                    return inp
            obj = obj.get_parent()
        return None

    # -- inputs -----------------------------------------------------------------------------------------------

    def needed_cameras(self):
        needed = set()
        for scene in (self.program, self.preview):
            if scene:
                needed.update(box["camera"] for box in scene["boxes"])
        for layer in self.all_layers():
            if layer.role is not None:
                needed.add(layer.camera)
        return needed

    def arm(self, cameras):
        for name in cameras:
            if name not in self.inputs:
                inp = Input(name, name in self.config.get("softwareCameras", []))
                self.inputs[name] = inp
                self.start_input(inp)

    def disarm_unneeded(self):
        needed = self.needed_cameras()
        for name in [n for n in self.inputs if n not in needed]:
            self.stop_input(self.inputs.pop(name))

    def start_input(self, inp):
        if self.down:
            return  # the rebuild starts every input
        inp.generation += 1
        inp.retry_at = None
        inp.started = time.monotonic()
        inp.last_frame = None
        inp.state = "starting"
        b = Gst.Bin.new("input-%s" % inp.name)
        src = Gst.ElementFactory.make("rtspsrc", None)
        src.set_property("location", "%s/%s" % (self.config["rtspBase"].rstrip("/"), inp.name))
        Gst.util_set_object_arg(src, "protocols", "tcp")
        src.set_property("latency", 100)
        tee = Gst.ElementFactory.make("tee", None)
        tee.set_property("allow-not-linked", True)
        b.add(src)
        b.add(tee)
        tee.get_static_pad("sink").add_probe(
            Gst.PadProbeType.BUFFER | Gst.PadProbeType.EVENT_DOWNSTREAM, self.on_input_data, inp, inp.generation
        )
        src.connect("pad-added", self.on_rtsp_pad, inp, b)
        inp.bin, inp.tee = b, tee
        self.pipeline.add(b)
        for layer in inp.layers:
            self.attach_layer(inp, layer)
        b.sync_state_with_parent()

    def on_rtsp_pad(self, _src, pad, inp, b):
        """rtspsrc found the stream (streaming thread): depay, parse and decode it into the tee."""
        caps = pad.get_current_caps() or pad.query_caps(None)
        if caps.get_structure(0).get_string("media") not in (None, "video"):
            return
        encoding = (caps.get_structure(0).get_string("encoding-name") or "H264").upper()
        h265 = encoding in ("H265", "HEVC")
        decoder = self.config["softwareDecoder"] if inp.software else self.config["decoder"]
        if inp.software and h265:
            decoder = decoder.replace("264", "265")
        chain = [
            Gst.ElementFactory.make("rtph265depay" if h265 else "rtph264depay", None),
            Gst.ElementFactory.make("h265parse" if h265 else "h264parse", None),
            Gst.ElementFactory.make(decoder, None),
        ]
        if None in chain:
            GLib.idle_add(self.restart_input, inp, inp.generation, "%s: no element %s" % (inp.name, decoder))
            return
        for element in chain:
            b.add(element)
        chain[0].link(chain[1])
        chain[1].link(chain[2])
        chain[2].link(inp.tee)
        for element in reversed(chain):
            element.sync_state_with_parent()
        pad.link(chain[0].get_static_pad("sink"))

    def stop_input(self, inp):
        """The input's branch to NULL (its decoder gives its VPU session back) and out of the pipeline."""
        if inp.bin is None:
            return
        inp.generation += 1
        b, inp.bin, inp.tee = inp.bin, None, None
        b.set_state(Gst.State.NULL)
        for layer in inp.layers:
            self.detach_layer(layer)
        self.pipeline.remove(b)

    def restart_input(self, inp, generation, reason):
        """A per-input fault: tear down only this branch, and try again with backoff while it is needed."""
        if generation != inp.generation or self.inputs.get(inp.name) is not inp:
            return False
        sys.stderr.write("%s\n" % reason)
        self.stop_input(inp)
        inp.state = "failed"
        inp.error = reason
        inp.fps = None
        delay = RETRY_BACKOFF_S[min(inp.attempts, len(RETRY_BACKOFF_S) - 1)]
        inp.attempts += 1
        inp.retry_at = time.monotonic() + delay
        self.changed()
        return False

    def on_input_size(self, inp, generation, width, height):
        if generation == inp.generation and width > 0 and height > 0:
            inp.size = (width, height)
            for layer in inp.layers:
                self.apply_crop(layer)
        return False

    # -- layers -----------------------------------------------------------------------------------------------

    def all_layers(self):
        return [layer for inp in self.inputs.values() for layer in inp.layers]

    def layers_with(self, *roles):
        return [layer for layer in self.all_layers() if layer.role in roles]

    def attach_layer(self, inp, layer):
        queue = Gst.ElementFactory.make("queue", None)
        for name, value in (("max-size-buffers", 2), ("max-size-time", 0), ("max-size-bytes", 0)):
            queue.set_property(name, value)
        Gst.util_set_object_arg(queue, "leaky", "downstream")
        crop = Gst.ElementFactory.make("videocrop", None)
        inp.bin.add(queue)
        inp.bin.add(crop)
        queue.link(crop)
        teepad = inp.tee.request_pad_simple("src_%u")
        teepad.link(queue.get_static_pad("sink"))
        ghost = Gst.GhostPad.new(None, crop.get_static_pad("src"))
        ghost.set_active(True)
        inp.bin.add_pad(ghost)
        pad = self.mix.request_pad_simple("sink_%u")
        pad.set_property("max-last-buffer-repeat", LAST_BUFFER_REPEAT_NS)
        cs = GstController.InterpolationControlSource()
        cs.set_property("mode", GstController.InterpolationMode.LINEAR)
        cs.set(0, layer.alpha)
        pad.add_control_binding(GstController.DirectControlBinding.new_absolute(pad, "alpha", cs))
        ghost.link(pad)
        layer.pad, layer.cs, layer.branch = pad, cs, (teepad, queue, crop, ghost)
        self.apply_geometry(layer)
        self.apply_crop(layer)
        queue.sync_state_with_parent()
        crop.sync_state_with_parent()

    def detach_layer(self, layer):
        if layer.pad is None:
            return
        ghost = layer.branch[3]
        ghost.unlink(layer.pad)
        self.mix.release_request_pad(layer.pad)
        layer.pad = layer.cs = layer.branch = None

    def place(self, camera, box, role, zorder):
        """A hidden layer of `camera` laid out as `box`: an idle one of that camera, or a new one."""
        inp = self.inputs[camera]
        layer = inp.idle_layer()
        if layer is None:
            layer = Layer(camera)
            inp.layers.append(layer)
            if inp.bin is not None:
                self.attach_layer(inp, layer)
        layer.role, layer.box, layer.zorder = role, box, zorder
        self.apply_geometry(layer)
        self.apply_crop(layer)
        return layer

    def apply_geometry(self, layer):
        if layer.pad is None or layer.box is None:
            return
        box = layer.box
        x, y = round(box["x"] * self.width), round(box["y"] * self.height)
        w, h = max(1, round(box["w"] * self.width)), max(1, round(box["h"] * self.height))
        for name, value in (("xpos", x), ("ypos", y), ("width", w), ("height", h), ("zorder", layer.zorder)):
            layer.pad.set_property(name, value)

    def apply_crop(self, layer):
        inp = self.inputs.get(layer.camera)
        if layer.branch is None or layer.box is None or inp is None or inp.size is None:
            return
        crop, (w, h) = layer.box.get("crop") or {}, inp.size
        element = layer.branch[2]
        for side, full in (("left", w), ("right", w), ("top", h), ("bottom", h)):
            pixels = int(round(float(crop.get(side, 0)) * full))
            if element.get_property(side) != pixels:
                element.set_property(side, pixels)

    def release(self, layers):
        for layer in layers:
            layer.role, layer.box = None, None

    def set_alpha(self, layer, t0, duration, target, hold=False):
        """Key the layer's alpha on the compositor's timeline: a step at t0, a fade over `duration`, or (hold) a
        step at its end. Keys from earlier changes are replaced by the value they give at t0."""
        layer.alpha = target
        cs = layer.cs
        if cs is None:
            return
        start = control_value(cs, t0, target)
        cs.unset_all()
        if duration == 0:
            cs.set(max(t0 - 1, 0), start)
            cs.set(t0, target)
        elif hold:
            cs.set(t0, start)
            cs.set(t0 + duration - 1, start)
            cs.set(t0 + duration, target)
        else:
            cs.set(t0, start)
            cs.set(t0 + duration, target)

    def next_frame_time(self):
        """Two frames ahead of the last mixed frame: the earliest output time every pad can still be keyed for."""
        return 0 if self.out_pts is None else self.out_pts + 2 * self.frame_ns

    # -- scenes -----------------------------------------------------------------------------------------------

    def on_air(self, scene, seq):
        return {
            "sceneId": scene.get("id"),
            "name": scene.get("name", ""),
            "boxes": scene["boxes"],
            "seq": seq,
            "appliedAt": iso_now(),
        }

    def put_on_program_at_start(self, scene):
        self.program = self.on_air(scene, None)
        self.arm({box["camera"] for box in scene["boxes"]})
        for box in scene["boxes"]:
            layer = self.place(box["camera"], box, "program", 1 + box["z"])
            self.set_alpha(layer, 0, 0, 1.0)

    def set_preview(self, scene):
        self.release(self.layers_with("preview"))
        if scene is None:
            self.preview = None
        else:
            self.preview = self.on_air(scene, None)
            self.arm({box["camera"] for box in scene["boxes"]})
            for box in scene["boxes"]:
                self.place(box["camera"], box, "preview", INCOMING_Z + box["z"])
        self.disarm_unneeded()
        self.changed()

    def same_scene(self, a, b):
        return a is not None and b is not None and a.get("id") == b.get("sceneId") and a["boxes"] == b["boxes"]

    def incoming_layers(self, scene):
        """The layers that will show `scene`: Preview's when it is that scene, else new hidden ones."""
        previewed = self.layers_with("preview")
        if previewed and self.same_scene(scene, self.preview):
            for layer in previewed:
                layer.role = "incoming"
            return previewed
        self.arm({box["camera"] for box in scene["boxes"]})
        return [self.place(box["camera"], box, "incoming", INCOMING_Z + box["z"]) for box in scene["boxes"]]

    def cameras_playing(self, scene):
        return all(self.inputs[box["camera"]].state == "playing" for box in scene["boxes"])

    # -- takes ------------------------------------------------------------------------------------------------

    def take(self, req, answer):
        console, seq = req["console"], int(req["seq"])
        scene = req.get("scene")
        if scene is None:
            if self.preview is None:
                answer({"ok": False, "error": "nothing is on Preview"})
                return
            scene = {"id": self.preview["sceneId"], "name": self.preview["name"], "boxes": self.preview["boxes"]}
        last = self.last_seq.get(console)
        if last is not None and seq <= last:
            why = "take %d from %s was already answered (last %d)" % (seq, console, last)
            self.take_answer(answer, "duplicate", why)
            return
        self.last_seq[console] = seq
        late_ms = epoch_ms() - float(req["deadline"])
        if late_ms > 0:
            self.record(console, seq, "expired")
            self.take_answer(answer, "expired", "arrived %d ms after its deadline: not applied" % late_ms)
            return
        if self.down:
            self.record(console, seq, "refused_inputs")
            self.take_answer(answer, "refused_inputs", "%s; Program unchanged" % self.health_problem)
            return
        if self.pending_take is not None:
            old = self.pending_take
            self.pending_take = None
            self.refuse_pending(old, "a newer take replaced it")
        layers = self.incoming_layers(scene)
        self.pending_take = {"req": req, "scene": scene, "layers": layers, "answer": answer}
        if self.try_pending():
            GLib.timeout_add(TAKE_POLL_MS, self.try_pending)

    def try_pending(self):
        pending = self.pending_take
        if pending is None:
            return False
        if self.cameras_playing(pending["scene"]):
            self.pending_take = None
            self.apply(pending)
            return False
        if epoch_ms() > float(pending["req"]["deadline"]):
            self.pending_take = None
            waiting = [b["camera"] for b in pending["scene"]["boxes"] if self.inputs[b["camera"]].state != "playing"]
            self.refuse_pending(pending, "no picture from %s before the deadline" % ", ".join(sorted(set(waiting))))
            return False
        return True

    def refuse_pending(self, pending, why):
        req = pending["req"]
        self.release([layer for layer in pending["layers"] if layer.role == "incoming"])
        self.disarm_unneeded()
        self.record(req["console"], int(req["seq"]), "refused_inputs")
        self.take_answer(pending["answer"], "refused_inputs", "%s; Program unchanged" % why)

    def apply(self, pending):
        req, scene, incoming = pending["req"], pending["scene"], pending["layers"]
        transition = req.get("transition") or {"kind": "cut"}
        duration = int(transition.get("ms", 0)) * 1_000_000 if transition.get("kind") == "fade" else 0
        self.finish_transition()
        t0 = self.next_frame_time()
        outgoing = self.layers_with("program", "outgoing")
        new_boxes = [layer.box for layer in incoming]
        for layer in incoming:
            layer.role = "program"
            self.set_alpha(layer, t0, duration, 1.0)
        for layer in outgoing:
            layer.role = "outgoing"
            # Under the new scene's boxes an old box stays until the fade ends, so the dissolve does not dip.
            self.set_alpha(layer, t0, duration, 0.0, hold=duration > 0 and covered_by(layer.box, new_boxes))
        self.transition = {"end": t0 + duration, "incoming": incoming, "outgoing": outgoing}
        self.program = self.on_air(scene, int(req["seq"]))
        self.record(req["console"], int(req["seq"]), "applied")
        how = "fade %d ms" % (duration // 1_000_000) if duration else "cut"
        self.take_answer(pending["answer"], "applied", "%s on Program (%s)" % (scene.get("name", ""), how))
        GLib.timeout_add(TAKE_POLL_MS, self.watch_transition)

    def watch_transition(self):
        if self.transition is None:
            return False
        if self.out_pts is not None and self.out_pts < self.transition["end"]:
            return True
        self.finish_transition(settled=True)
        return False

    def finish_transition(self, settled=False):
        """Old layers become idle, the new ones drop to the on-air z range, and unneeded cameras are disarmed."""
        if self.transition is None:
            return
        done, self.transition = self.transition, None
        self.release([layer for layer in done["outgoing"] if layer.role == "outgoing"])
        # Lowest first: each moved layer lands below the ones not yet moved, so the visible order never flips.
        for layer in sorted(self.layers_with("program"), key=lambda item: item.box["z"]):
            layer.zorder = 1 + layer.box["z"]
            if layer.pad is not None:
                layer.pad.set_property("zorder", layer.zorder)
        if settled:
            for layer in self.all_layers():
                if layer.cs is not None:
                    layer.cs.unset_all()
                    layer.cs.set(0, layer.alpha)
        self.disarm_unneeded()
        self.changed()

    def record(self, console, seq, outcome):
        self.takes.append({"console": console, "seq": seq, "outcome": outcome, "at": iso_now()})
        del self.takes[:-TAKES_KEPT]
        self.changed()

    def take_answer(self, answer, outcome, message):
        answer({"ok": True, "outcome": outcome, "message": message, "state": self.state()})

    # -- stop -------------------------------------------------------------------------------------------------

    def stop(self):
        if self.stopping:
            return
        self.stopping = True
        self.arm_exit_watchdog(STOP_WITHIN_S * 2)
        self.changed(force=True)
        if self.down:
            self.loop.quit()  # nothing is pushed, so there is no publish to end
            return
        # EOS lets rtspclientsink finish the publish with a TEARDOWN; a pipeline that does not drain in time ends
        # anyway.
        self.pipeline.send_event(Gst.Event.new_eos())
        GLib.timeout_add(int(STOP_WITHIN_S * 1000), lambda: self.loop.quit() or False)

    def on_stop_signal(self):
        self.stop()
        return GLib.SOURCE_CONTINUE

    # -- health -----------------------------------------------------------------------------------------------

    def on_tick(self):
        now = time.monotonic()
        seconds = HEALTH_TICK_MS / 1000
        for inp in list(self.inputs.values()):
            self.check_input(inp, now, seconds)
        self.out_fps = round((self.pushed - self.pushed_at_tick) / seconds, 1)
        self.pushed_at_tick = self.pushed
        self.check_program(now)
        self.push_state()
        return True

    def check_input(self, inp, now, seconds):
        if inp.bin is None:
            if inp.retry_at is not None and now >= inp.retry_at:
                self.start_input(inp)
            return
        inp.fps = round((inp.frames - inp.frames_at_tick) / seconds, 1)
        inp.frames_at_tick = inp.frames
        if inp.last_frame is None:
            if now - inp.started > FIRST_FRAME_WITHIN_S:
                self.restart_input(inp, inp.generation, "%s: no picture within %d s" % (inp.name, FIRST_FRAME_WITHIN_S))
            return
        age = now - inp.last_frame
        if age > RESTART_STALLED_AFTER_S:
            self.restart_input(inp, inp.generation, "%s: no frame for %.1f s" % (inp.name, age))
        elif age > STALLED_AFTER_S:
            inp.state = "stalled"
        else:
            inp.state, inp.error, inp.attempts = "playing", None, 0

    def health(self):
        problem = self.health_problem
        age = None if self.last_out is None else time.monotonic() - self.last_out
        if problem is None and self.pts_backwards:
            problem = "program timestamps went backwards"
        if problem is None and self.ready and (age is None or age > NO_OUTPUT_AFTER_S):
            problem = "no program frames for %.1f s" % (age or 0)
        return {
            "flowing": problem is None and self.ready,
            "outFps": self.out_fps,
            "problem": problem,
            "restarts": self.restarts,
        }

    # -- program recovery -------------------------------------------------------------------------------------

    @property
    def down(self):
        return self.rebuild_timer is not None

    def on_program_fault(self, is_error, reason):
        """Before @ready (and while stopping) an ERROR ends the agent, as it always did; after, the program is
        rebuilt."""
        if self.ready and not self.stopping:
            self.lose_program(reason)
        elif is_error:
            self.fail(reason)

    def check_program(self, now):
        """A rebuild that pushed a second of frames worked; a program that stops flowing is rebuilt."""
        if not self.ready or self.stopping or self.down:
            return
        if self.attempts and self.pushed - self.pushed_at_build >= self.fps:
            sys.stderr.write("program output back after %d attempt(s)\n" % self.attempts)
            self.attempts, self.health_problem = 0, None
            self.changed()
        if now - max(self.last_out or 0.0, self.frames_expected_from) > PROGRAM_STALL_S:
            self.lose_program("no program frames for more than %d s" % PROGRAM_STALL_S)

    def lose_program(self, reason):
        if self.down:
            return
        self.tear_down()
        self.rebuild_later(reason)

    def rebuild_later(self, reason):
        if self.attempts >= PROGRAM_ATTEMPTS:
            self.fail("program output lost (%s); gave up after %d attempts" % (reason, self.attempts))
            return
        self.attempts += 1
        self.health_problem = "program output lost (%s); reconnecting, attempt %d" % (reason, self.attempts)
        sys.stderr.write("%s\n" % self.health_problem)
        delay = RETRY_BACKOFF_S[min(self.attempts, len(RETRY_BACKOFF_S)) - 1]
        self.rebuild_timer = GLib.timeout_add(int(delay * 1000), self.rebuild)
        self.changed(force=True)

    def tear_down(self):
        """The whole pipeline to NULL. What is on Program and Preview stays as data (each layer's role, box and
        alpha) for the rebuild; a transition in progress ends where it was going, and a pending take is refused."""
        if self.pending_take is not None:
            pending, self.pending_take = self.pending_take, None
            self.refuse_pending(pending, "the program output was lost")
        self.finish_transition(settled=True)
        self.pipeline.get_bus().remove_signal_watch()
        self.pipeline.set_state(Gst.State.NULL)
        for inp in self.inputs.values():
            self.forget_branch(inp)

    def forget_branch(self, inp):
        """The input's elements and pads belonged to the old pipeline; a new generation ignores their callbacks."""
        inp.generation += 1
        inp.bin = inp.tee = inp.retry_at = inp.fps = None
        inp.state, inp.error = "stopped", None
        for layer in inp.layers:
            layer.pad = layer.cs = layer.branch = None

    def rebuild(self):
        """A new pipeline with every input and layer in it again, as they were: Program and Preview come back."""
        self.rebuild_timer = None
        if self.stopping:
            return False
        self.out_pts, self.pts_backwards = None, False
        try:
            self.build()
        except (GLib.Error, RuntimeError) as err:
            self.rebuild_later("cannot build the pipeline: %s" % err)
            return False
        for inp in self.inputs.values():
            self.start_input(inp)
        self.restarts += 1
        self.pushed_at_build = self.pushed
        self.frames_expected_from = time.monotonic() + REBUILD_GRACE_S
        sys.stderr.write("program pipeline rebuilt (restart %d)\n" % self.restarts)
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            self.lose_program("the rebuilt pipeline did not start")
            return False
        self.changed(force=True)
        return False

    # -- state ------------------------------------------------------------------------------------------------

    def input_view(self, inp):
        age = None if inp.last_frame is None else int((time.monotonic() - inp.last_frame) * 1000)
        return {
            "state": inp.state,
            "decoder": "sw" if inp.software else "hw",
            "fps": inp.fps,
            "lastFrameAgeMs": age,
            "error": inp.error,
        }

    def state(self):
        out = self.config["output"]
        return {
            "pid": self.pid,
            "startedAt": self.started_at,
            "version": self.version,
            "output": {"width": self.width, "height": self.height, "fps": self.fps, "path": out["path"]},
            "program": self.program,
            "preview": self.preview,
            "onProgram": visible_cameras(self.program["boxes"]) if self.program else [],
            "onPreview": visible_cameras(self.preview["boxes"]) if self.preview else [],
            "inputs": {name: self.input_view(inp) for name, inp in sorted(self.inputs.items())},
            "health": self.health(),
            "lastSeq": self.last_seq,
            "takes": self.takes,
            "stopping": self.stopping,
        }

    @staticmethod
    def signature(state):
        """The state without its running numbers (fps, ages): what counts as a change."""
        slim = dict(state)
        slim["inputs"] = {k: (v["state"], v["error"]) for k, v in state["inputs"].items()}
        slim["health"] = (state["health"]["flowing"], state["health"]["problem"])
        return json.dumps(slim, sort_keys=True)

    def changed(self, force=False):
        self.push_state(force)

    def push_state(self, force=False):
        """On a change: state.json and an event to every client; otherwise an event at least once a second."""
        state = self.state()
        signature = self.signature(state)
        is_change = signature != self.last_signature
        if is_change or force:
            self.last_signature = signature
            try:
                write_atomically(STATE_PATH, json.dumps(state) + "\n")
            except OSError as err:
                sys.stderr.write("cannot write %s: %s\n" % (STATE_PATH, err))
        if is_change or force or time.monotonic() - self.last_push >= 1.0:
            self.last_push = time.monotonic()
            self.broadcast({"event": "state", "state": state})

    # -- control socket ---------------------------------------------------------------------------------------

    def serve(self):
        if os.path.exists(SOCK_PATH):
            os.unlink(SOCK_PATH)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(SOCK_PATH)
        os.chmod(SOCK_PATH, 0o600)
        server.listen(16)
        server.setblocking(False)
        self.server = server
        GLib.io_add_watch(server.fileno(), GLib.PRIORITY_DEFAULT, GLib.IO_IN, self.on_accept)

    def close_server(self):
        for client in list(self.clients):
            self.drop(client)
        if self.server is not None:
            self.server.close()
            try:
                os.unlink(SOCK_PATH)
            except OSError:
                pass

    def on_accept(self, _fd, _condition):
        try:
            sock, _ = self.server.accept()
        except OSError:
            return True
        sock.setblocking(False)
        client = Client(sock)
        self.clients.append(client)
        condition = GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR
        GLib.io_add_watch(sock.fileno(), GLib.PRIORITY_DEFAULT, condition, self.on_readable, client)
        return True

    def on_readable(self, _fd, _condition, client):
        try:
            data = client.sock.recv(65536)
        except BlockingIOError:
            return True
        except OSError:
            data = b""
        if not data:
            self.drop(client)
            return False
        client.inbuf += data
        while b"\n" in client.inbuf:
            line, client.inbuf = client.inbuf.split(b"\n", 1)
            if line.strip():
                self.on_request(client, line)
        if len(client.inbuf) > 1 << 20:
            self.drop(client)
            return False
        return client in self.clients

    def send(self, client, message):
        if client not in self.clients:
            return
        client.outbuf += (json.dumps(message) + "\n").encode("utf-8")
        # A client that stopped reading (its link is gone) must not hold the mixer up.
        if len(client.outbuf) > 4 << 20:
            self.drop(client)
            return
        self.flush(client)

    def flush(self, client, *_args):
        try:
            while client.outbuf:
                sent = client.sock.send(client.outbuf)
                client.outbuf = client.outbuf[sent:]
        except BlockingIOError:
            pass
        except OSError:
            self.drop(client)
            return False
        if client.outbuf and client.watch_out is None:
            fd = client.sock.fileno()
            client.watch_out = GLib.io_add_watch(fd, GLib.PRIORITY_DEFAULT, GLib.IO_OUT, self.flush, client)
        elif not client.outbuf and client.watch_out is not None:
            GLib.source_remove(client.watch_out)
            client.watch_out = None
        return bool(client.outbuf)

    def drop(self, client):
        if client in self.clients:
            self.clients.remove(client)
        if client.watch_out is not None:
            GLib.source_remove(client.watch_out)
            client.watch_out = None
        client.sock.close()

    def broadcast(self, message):
        for client in list(self.clients):
            self.send(client, message)

    def on_request(self, client, line):
        try:
            req = json.loads(line)
        except ValueError:
            self.send(client, {"id": 0, "ok": False, "error": "not JSON"})
            return
        rid = req.get("id", 0) if isinstance(req, dict) else 0

        def answer(body):
            self.send(client, dict(body, id=rid))

        try:
            self.dispatch(req, answer)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            answer({"ok": False, "error": "bad request: %s" % err})

    def dispatch(self, req, answer):
        cmd = req.get("cmd")
        if self.stopping and cmd not in ("state", "ping"):
            answer({"ok": False, "error": "the mixer is stopping"})
        elif cmd == "state":
            answer({"ok": True, "state": self.state()})
        elif cmd == "ping":
            answer({"ok": True, "now": epoch_ms()})
        elif cmd == "preview":
            self.set_preview(req["scene"])
            answer({"ok": True, "state": self.state()})
        elif cmd == "take":
            self.take(req, answer)
        elif cmd == "stop":
            answer({"ok": True})
            self.stop()
        else:
            answer({"ok": False, "error": "unknown command %r" % cmd})


# ---------------------------------------------------------------------------------------------------------------
# run


def take_lock():
    """The lock file's fd, held for the agent's life; None (after `@failed`) when another agent holds it."""
    fd = os.open(LOCK_PATH, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
        print("@failed another mixer runs (pid %s)" % holder, flush=True)
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, b"%d\n" % os.getpid())
    return fd


def read_config():
    line = sys.stdin.readline()
    try:
        config = json.loads(line)
        for key in ("output", "rtspBase", "decoder", "softwareDecoder"):
            config[key]
        for key in ("width", "height", "fps", "path", "bitrateKbps"):
            config["output"][key]
        return config
    except (ValueError, KeyError, TypeError) as err:
        print("@failed bad config on stdin: %s" % err, flush=True)
        return None


def run():
    global Gst, GLib, GstController
    os.makedirs(MIXER_DIR, mode=0o700, exist_ok=True)
    config = read_config()
    if config is None:
        return 1
    lock = take_lock()
    if lock is None:
        return 1
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstController", "1.0")
    from gi.repository import GLib as glib, Gst as gst, GstController as controller

    Gst, GLib, GstController = gst, glib, controller
    Gst.init(None)
    return Agent(config).run()


def main(argv):
    mode = argv[1] if len(argv) > 1 else ""
    if mode == "attach":
        return attach()
    if mode == "run":
        return run()
    sys.stderr.write("usage: tally_mixer.py run|attach\n")
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
