"""mppvideodec for the emulated R58: a software stand-in for Rockchip's hardware video decoder.

The emulator copies this file into the device user's ~/.gstreamer-1.0/plugins/python/, where GStreamer's Python
plugin loader (package gstreamer1.0-python3-plugin-loader) finds it. Any pipeline on the device can then make an
element named `mppvideodec`: `Gst.ElementFactory.make`, `Gst.parse_launch` from Python (Tally's mixer agent),
or Debian's own gst-launch-1.0. (The device's gst-launch-1.0 wrapper replaces the word `mppvideodec` before it
parses, and counts that session itself, so the element is never built there.)

It decodes in software (avdec_h264 or avdec_h265, picked from the stream's caps, then videoconvert) and, as the
real element opens an MPP context in its start(), asks the emulated kernel for one VPU session at READY→PAUSED:
`POST /vpu/open` on the device daemon's socket ($TALLY_EMU_SOCK) with this process's pid. It gives exactly that
session back at PAUSED→READY (`POST /vpu/close {pid, session}`). A refusal (too many sessions) posts the
Rockchip element's error and fails the state change, so the pipeline sees what a board would show.
"""

import http.client
import json
import os
import socket

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, GObject, Gst  # noqa: E402

DEFAULT_SOCK = "/run/tally-emu/daemon.sock"
DECODERS = {"video/x-h264": "avdec_h264", "video/x-h265": "avdec_h265"}
# The board's decoder properties, accepted so a launch line written for the board parses; they change nothing.
BOARD_PROPERTIES = (("fast-mode", True), ("ignore-error", True), ("arm-afbc", False), ("dma-feature", False))


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=5.0):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


def daemon_post(path, body):
    """The parsed JSON answer, or {"ok": False, "reason": …} when the daemon cannot be reached."""
    try:
        conn = UnixHTTPConnection(os.environ.get("TALLY_EMU_SOCK", DEFAULT_SOCK))
        conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read().decode("utf-8", "replace")
        conn.close()
        try:
            return json.loads(data) if data else {"ok": False, "reason": "HTTP %d" % resp.status}
        except ValueError:
            return {"ok": False, "reason": data.strip()}
    except OSError as err:
        return {"ok": False, "reason": "cannot open /dev/mpp_service: %s" % (err.strerror or err)}


def process_name():
    try:
        with open("/proc/self/comm", encoding="utf-8") as f:
            return f.read().strip() or "python3"
    except OSError:
        return "python3"


def pipeline_label(element):
    """The path of the top-level pipeline's first `rtspclientsink location` (the wrapper's rule), else ""."""
    top = element
    while top.get_parent() is not None:
        top = top.get_parent()
    if not isinstance(top, Gst.Bin):
        return ""
    it = top.iterate_all_by_element_factory_name("rtspclientsink")
    while True:
        res, sink = it.next()
        if res != Gst.IteratorResult.OK:
            return ""
        location = sink.get_property("location") or ""
        rest = location.split("://", 1)[-1]
        if "/" in rest:
            return rest.split("/", 1)[1].split("?")[0]


class MppVideoDec(Gst.Bin):
    __gtype_name__ = "GstMppVideoDec"
    __gstmetadata__ = (
        "Rockchip's MPP video decoder",
        "Decoder/Video",
        "Multicodec (HEVC / AVC / VP8 / VP9) hardware decoder (emulated: software decoding, one VPU session)",
        "Tally emulator",
    )
    __gsttemplates__ = (
        Gst.PadTemplate.new(
            "sink", Gst.PadDirection.SINK, Gst.PadPresence.ALWAYS, Gst.Caps.from_string("video/x-h264; video/x-h265")
        ),
        Gst.PadTemplate.new("src", Gst.PadDirection.SRC, Gst.PadPresence.ALWAYS, Gst.Caps.from_string("video/x-raw")),
    )
    __gproperties__ = {
        name: (bool, name, "The board's %s (accepted, ignored here)" % name, default, GObject.ParamFlags.READWRITE)
        for name, default in BOARD_PROPERTIES
    }

    def __init__(self):
        super().__init__()
        self.props_ = dict(BOARD_PROPERTIES)
        self.session = None
        # The stream's caps pick the software decoder, so the chain is built when they arrive.
        self.entry = Gst.ElementFactory.make("identity", "entry")
        self.add(self.entry)
        self.add_pad(Gst.GhostPad.new("sink", self.entry.get_static_pad("sink")))
        self.srcpad = Gst.GhostPad.new_no_target_from_template("src", self.get_pad_template("src"))
        self.add_pad(self.srcpad)
        self.entry.get_static_pad("src").add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, self.on_event)

    def do_get_property(self, prop):
        return self.props_[prop.name]

    def do_set_property(self, prop, value):
        self.props_[prop.name] = value

    def on_event(self, pad, info):
        event = info.get_event()
        if event.type != Gst.EventType.CAPS or pad.is_linked():
            return Gst.PadProbeReturn.OK
        name = event.parse_caps().get_structure(0).get_name()
        decoder = Gst.ElementFactory.make(DECODERS.get(name, "avdec_h264"), None)
        # Frame threading holds frames back; a live mixer wants each frame out as soon as it is decoded.
        Gst.util_set_object_arg(decoder, "thread-type", "slice")
        convert = Gst.ElementFactory.make("videoconvert", None)
        self.add(decoder)
        self.add(convert)
        decoder.link(convert)
        pad.link(decoder.get_static_pad("sink"))
        self.srcpad.set_target(convert.get_static_pad("src"))
        decoder.sync_state_with_parent()
        convert.sync_state_with_parent()
        return Gst.PadProbeReturn.OK

    def do_change_state(self, transition):
        if transition == Gst.StateChange.READY_TO_PAUSED and not self.open_session():
            return Gst.StateChangeReturn.FAILURE
        result = Gst.Bin.do_change_state(self, transition)
        if transition == Gst.StateChange.PAUSED_TO_READY:
            self.close_session()
        return result

    def open_session(self):
        answer = daemon_post(
            "/vpu/open",
            {
                "pid": os.getpid(),
                "element": "mppvideodec",
                "kind": "dec",
                "props": dict(self.props_),
                "label": pipeline_label(self),
                "comm": process_name(),
            },
        )
        if answer.get("ok"):
            self.session = answer["session"]["session"]
            return True
        self.post_message(
            Gst.Message.new_error(
                self,
                GLib.Error.new_literal(
                    Gst.LibraryError.quark(), "Could not initialize supporting library.", int(Gst.LibraryError.INIT)
                ),
                "../gst/rockchipmpp/gstmppdec.c(781): gst_mpp_dec_start (): %s:\nfailed to init mpp ctx: %s"
                % (self.get_path_string(), answer.get("reason", "refused")),
            )
        )
        return False

    def close_session(self):
        if self.session is not None:
            daemon_post("/vpu/close", {"pid": os.getpid(), "session": self.session})
            self.session = None


GObject.type_register(MppVideoDec)
__gstelementfactory__ = ("mppvideodec", Gst.Rank.NONE, MppVideoDec)
