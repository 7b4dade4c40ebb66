#!/usr/bin/python3
"""gst-launch-1.0 for the emulated R58.

Installed as /usr/local/bin/gst-launch-1.0 inside the device. It behaves like gst-launch-1.0 for what the console
and the recorder use (-e -q -v -m -t, "Setting pipeline to PLAYING ...", "Got EOS from element", "Execution ended
after ...", "ERROR: from element ...", exit codes), but:

- each Rockchip hardware element (mpph264enc, mpph265enc, mppvideodec) first asks the device daemon for a VPU
  session (POST /vpu/open over the unix socket $TALLY_EMU_SOCK, default /run/tally-emu/daemon.sock). A refusal
  prints the error the real element gives and exits 1;
- the hardware elements are replaced by software ones with the same role (x264enc, x265enc, avdec_h264/h265);
- the pipeline runs in this process, so this process holds the sessions; they are released on exit;
- SIGUSR1 (sent by the daemon for POST /wedge) makes it ignore SIGTERM and SIGINT until SIGKILL.

Only /usr/bin/python3 (Debian's, with gi) runs this.
"""

import http.client
import json
import os
import signal
import socket
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

DEFAULT_SOCK = "/run/tally-emu/daemon.sock"
MPP_ELEMENTS = {
    "mpph264enc": ("enc", "GstMppH264Enc"),
    "mpph265enc": ("enc", "GstMppH265Enc"),
    "mppvideodec": ("dec", "GstMppVideoDec"),
}
# gst-launch exit codes (LaunchExitCode); -1 is returned from main and so exits 255.
LEC_STATE_CHANGE_FAILURE = 255
LEC_NO_ERROR = 0
LEC_ERROR = 1


# ---------------------------------------------------------------------------------------------------------------
# Command line


class Options:
    def __init__(self):
        self.eos_on_shutdown = False
        self.quiet = False
        self.verbose = False
        self.messages = False
        self.tags = False
        self.exclude = []
        self.version = False
        self.help = False


SHORT_FLAGS = {"e": "eos_on_shutdown", "q": "quiet", "v": "verbose", "m": "messages", "t": "tags"}
LONG_FLAGS = {
    "--eos-on-shutdown": "eos_on_shutdown",
    "--quiet": "quiet",
    "--verbose": "verbose",
    "--messages": "messages",
    "--tags": "tags",
}
IGNORED_FLAGS = {"-f", "--no-fault", "-c", "--toc", "--no-position", "--force-position", "--gst-disable-segtrap"}
TAKES_VALUE = {"-X", "--exclude", "-p", "--prog-name", "--gst-debug", "--gst-debug-level", "--gst-plugin-path"}


def parse_command_line(argv):
    """Split argv into options and pipeline words, as GOption does (options may appear anywhere before --)."""
    opts = Options()
    words = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            words.extend(argv[i:])
            break
        if arg in LONG_FLAGS:
            setattr(opts, LONG_FLAGS[arg], True)
        elif arg in ("--version",):
            opts.version = True
        elif arg in ("-h", "--help", "--help-all"):
            opts.help = True
        elif arg in IGNORED_FLAGS or arg.startswith("--gst-") and "=" in arg:
            pass
        elif arg in TAKES_VALUE:
            value = argv[i] if i < len(argv) else ""
            i += 1
            if arg in ("-X", "--exclude"):
                opts.exclude.append(value)
        elif arg.startswith("--exclude="):
            opts.exclude.append(arg.split("=", 1)[1])
        elif len(arg) > 1 and arg[0] == "-" and arg[1] != "-" and all(c in SHORT_FLAGS or c in "fc" for c in arg[1:]):
            for c in arg[1:]:
                if c in SHORT_FLAGS:
                    setattr(opts, SHORT_FLAGS[c], True)
        else:
            words.append(arg)
    return opts, words


# ---------------------------------------------------------------------------------------------------------------
# Pipeline description: find the hardware elements, swap in software ones


def tokens_of(words):
    """argv words with a bare `a!b` split into `a ! b` (words with properties or quotes are left whole)."""
    out = []
    for word in words:
        if "!" in word and word != "!" and "=" not in word and '"' not in word:
            for i, part in enumerate(word.split("!")):
                if i > 0:
                    out.append("!")
                if part.strip():
                    out.append(part.strip())
        else:
            out.append(word)
    return out


def is_property(token):
    return "=" in token and "/" not in token.split("=", 1)[0] and not token.startswith(("(", ")"))


def prop_value(raw):
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value


def caps_hints(tokens, upto):
    """width/height/fps from raw-video caps before position `upto`, for the session's codec info."""
    hints = {}
    for token in tokens[:upto]:
        if not token.startswith("video/x-raw"):
            continue
        for field in token.replace(" ", "").split(",")[1:]:
            if "=" not in field:
                continue
            key, value = field.split("=", 1)
            value = value.split(")")[-1]
            if key in ("width", "height"):
                try:
                    hints[key] = int(value)
                except ValueError:
                    pass
            elif key == "framerate" and "/" in value:
                num, den = value.split("/", 1)
                try:
                    hints["fps"] = round(int(num) / max(1, int(den)))
                except ValueError:
                    pass
    return hints


def upstream_codec(tokens, at):
    """h264/h265 from the element or caps just before a decoder, else None."""
    for token in reversed(tokens[:at]):
        if token == "!" or is_property(token):
            continue
        if "265" in token:
            return "h265"
        if "264" in token:
            return "h264"
        if not token.startswith(("video/", "application/")):
            return None
    return None


RC_MODES = {"0": "vbr", "1": "cbr", "2": "fixqp", "3": "avbr"}


def software_h264(props, name):
    out = ["x264enc", "name=" + name, "tune=zerolatency", "speed-preset=ultrafast"]
    out.append("key-int-max=%d" % int(props.get("gop", 30) or 30))
    rc = RC_MODES.get(str(props.get("rc-mode", "")), str(props.get("rc-mode", "cbr")))
    if rc == "fixqp":
        out += ["pass=quant", "quantizer=%d" % int(props.get("qp-init", 26))]
    else:
        out.append("bitrate=%d" % max(1, round(int(props.get("bps", 2000000)) / 1000)))
    for key in ("qp-min", "qp-max"):
        if key in props:
            out.append("%s=%d" % (key, int(props[key])))
    return out


def software_h265(props, name):
    return [
        "videoconvert",
        "name=%s-convert" % name,
        "!",
        "x265enc",
        "name=" + name,
        "tune=zerolatency",
        "speed-preset=ultrafast",
        "key-int-max=%d" % int(props.get("gop", 30) or 30),
        "bitrate=%d" % max(1, round(int(props.get("bps", 2000000)) / 1000)),
    ]


def software_decoder(codec, name):
    decoder = {"h264": "avdec_h264", "h265": "avdec_h265"}.get(codec, "decodebin")
    return [decoder, "name=%s-decoder" % name, "!", "videoconvert", "name=" + name]


class HardwareElement:
    def __init__(self, factory, name, props, hints):
        self.factory = factory
        self.kind, self.type_name = MPP_ELEMENTS[factory]
        self.name = name
        self.props = props
        self.hints = hints

    @property
    def path(self):
        return "/GstPipeline:pipeline0/%s:%s" % (self.type_name, self.name)


def rewrite(words):
    """Return (words for parse_launchv, hardware elements found)."""
    tokens = tokens_of(words)
    out = []
    found = []
    counters = {}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token not in MPP_ELEMENTS:
            out.append(token)
            i += 1
            continue
        j = i + 1
        props = {}
        while j < len(tokens) and tokens[j] != "!" and is_property(tokens[j]):
            key, raw = tokens[j].split("=", 1)
            props[key.strip()] = prop_value(raw)
            j += 1
        name = props.pop("name", None)
        if name is None:
            n = counters.get(token, 0)
            name = "%s%d" % (token, n)
            counters[token] = n + 1
        element = HardwareElement(token, str(name), props, caps_hints(tokens, i))
        found.append(element)
        if token == "mpph264enc":
            out += software_h264(props, element.name)
        elif token == "mpph265enc":
            out += software_h265(props, element.name)
        else:
            out += software_decoder(upstream_codec(tokens, i), element.name)
        i = j
    return out, found


def pipeline_label(words):
    """The rtspclientsink location path (cam0), else the first file sink's basename. Same rule as
    kernel/pipeline-label.ts, which the daemon uses to find a pipeline for POST /wedge."""
    tokens = [t for t in tokens_of(words) if not t.startswith("-")]
    segments = [[]]
    for token in tokens:
        if token == "!":
            segments.append([])
        else:
            segments[-1].append(token)

    def location(segment):
        for token in segment:
            if token.startswith("location="):
                return str(prop_value(token[len("location="):]))
        return None

    for segment in segments:
        if segment and segment[0] == "rtspclientsink":
            loc = location(segment)
            if loc:
                rest = loc.split("://", 1)[-1]
                path = rest.split("/", 1)[1] if "/" in rest else ""
                if path:
                    return path.split("?")[0]
    for segment in segments:
        if segment and segment[0] in ("filesink", "multifilesink", "splitmuxsink"):
            loc = location(segment)
            if loc:
                return os.path.basename(loc)
    return None


# ---------------------------------------------------------------------------------------------------------------
# The device daemon


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=5.0):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


def daemon_call(method, path, body):
    """(status, parsed JSON) or (None, error text)."""
    sock_path = os.environ.get("TALLY_EMU_SOCK", DEFAULT_SOCK)
    try:
        conn = UnixHTTPConnection(sock_path)
        payload = json.dumps(body)
        conn.request(method, path, body=payload, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read().decode("utf-8", "replace")
        conn.close()
        try:
            return resp.status, json.loads(data) if data else {}
        except ValueError:
            return resp.status, {"ok": False, "reason": data.strip()}
    except OSError as err:
        return None, "cannot open /dev/mpp_service: %s" % (err.strerror or err)


def open_sessions(elements, label):
    """Ask for one session per hardware element, in pipeline order. Returns (ok, failed element, reason)."""
    for element in elements:
        props = dict(element.hints)
        props.update(element.props)
        status, result = daemon_call(
            "POST",
            "/vpu/open",
            {
                "pid": os.getpid(),
                "element": element.factory,
                "kind": element.kind,
                "props": props,
                "label": label or "",
                "comm": "gst-launch-1.0",
            },
        )
        if status is None:
            return False, element, result
        if not isinstance(result, dict) or not result.get("ok"):
            reason = result.get("reason") if isinstance(result, dict) else None
            return False, element, reason or "mpp_service refused the session (HTTP %s)" % status
    return True, None, None


def close_sessions():
    daemon_call("POST", "/vpu/close", {"pid": os.getpid()})


# ---------------------------------------------------------------------------------------------------------------
# gst-launch behaviour


def time_format(ns):
    if ns is None or ns < 0:
        return "99:99:99.999999999"
    s, frac = divmod(int(ns), 1_000_000_000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return "%u:%02u:%02u.%09u" % (h, m, s, frac)


class Launch:
    def __init__(self, opts, hardware):
        self.opts = opts
        self.hardware = {e.name: e for e in hardware}
        self.pipeline = None
        self.loop = GLib.MainLoop()
        self.code = LEC_NO_ERROR
        self.target_state = Gst.State.PAUSED
        self.is_live = False
        self.buffering = False
        self.prerolled = False
        self.interrupting = False
        self.waiting_eos = False
        self.eos_deferred = False
        self.tfthen = None
        self.wedged = False
        self.sessions_held = bool(hardware)

    # Output goes through here so software stand-ins show up under their hardware type names.
    def present(self, text):
        for element in self.hardware.values():
            for soft in ("GstX264Enc", "GstX265Enc", "GstVideoConvert"):
                text = text.replace("%s:%s" % (soft, element.name), "%s:%s" % (element.type_name, element.name))
        return text

    def out(self, text):
        if not self.opts.quiet:
            sys.stdout.write(self.present(text))
            sys.stdout.flush()

    def err(self, text):
        sys.stderr.write(self.present(text))
        sys.stderr.flush()

    # -- signals --------------------------------------------------------------------------------------------

    def install_signals(self):
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        # SIGUSR1 first: when a wedge and a stop arrive together, the wedge is dispatched first.
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGUSR1, self.on_sigusr1)
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, self.on_sigint)
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, self.on_sigterm)
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGHUP, self.on_sighup)

    def on_sigusr1(self):
        self.wedged = True
        return GLib.SOURCE_CONTINUE

    def on_sighup(self):
        self.out("SIGHUP: not dumping dot file snapshot, GST_DEBUG_DUMP_DOT_DIR environment variable not set.\n")
        return GLib.SOURCE_CONTINUE

    def on_sigint(self):
        if self.wedged or self.pipeline is None:
            return GLib.SOURCE_CONTINUE
        self.out("handling interrupt.\n")
        structure = Gst.Structure.new_empty("GstLaunchInterrupt")
        structure.set_value("message", "Pipeline interrupted")
        self.pipeline.post_message(Gst.Message.new_application(self.pipeline, structure))
        return GLib.SOURCE_CONTINUE

    def on_sigterm(self):
        if self.wedged:
            return GLib.SOURCE_CONTINUE
        # gst-launch-1.0 has no SIGTERM handler: it dies at once (no EOS, files unfinished). Release the VPU
        # sessions first, as the driver does when the process's fds close.
        if self.sessions_held:
            close_sessions()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return GLib.SOURCE_REMOVE

    # -- bus --------------------------------------------------------------------------------------------------

    def on_message(self, _bus, msg):
        t = msg.type
        src = msg.src
        if self.opts.messages:
            s = msg.get_structure()
            if isinstance(src, Gst.Element):
                head = 'Got message #%u from element "%s" (%s): ' % (msg.seqnum, src.get_name(), t.first_value_nick)
            elif isinstance(src, Gst.Pad):
                parent = src.get_parent()
                head = 'Got message #%u from pad "%s:%s" (%s): ' % (
                    msg.seqnum,
                    parent.get_name() if parent else "",
                    src.get_name(),
                    t.first_value_nick,
                )
            else:
                head = 'Got message #%u from object "%s" (%s): ' % (
                    msg.seqnum,
                    src.get_name() if src else "",
                    t.first_value_nick,
                )
            self.out(head + (s.to_string() if s else "no message details") + "\n")

        if t == Gst.MessageType.NEW_CLOCK:
            clock = msg.parse_new_clock()
            self.out("New clock: %s\n" % (clock.get_name() if clock else "NULL"))
        elif t == Gst.MessageType.CLOCK_LOST:
            self.out("Clock lost, selecting a new one\n")
            self.pipeline.set_state(Gst.State.PAUSED)
            self.pipeline.set_state(Gst.State.PLAYING)
        elif t == Gst.MessageType.EOS:
            self.out('Got EOS from element "%s".\n' % src.get_name())
            if self.opts.eos_on_shutdown:
                self.out("EOS received - stopping pipeline...\n")
            self.loop.quit()
        elif t == Gst.MessageType.TAG and self.opts.tags:
            tag_list = msg.parse_tag()
            self.out('FOUND TAG      : found by element "%s".\n' % src.get_name())
            for i in range(tag_list.n_tags()):
                tag = tag_list.nth_tag_name(i)
                self.out("%16s: %s\n" % (Gst.tag_get_nick(tag), tag_list.get_value_index(tag, 0)))
        elif t == Gst.MessageType.INFO:
            _gerror, debug = msg.parse_info()
            if debug:
                self.out("INFO:\n%s\n" % debug)
        elif t == Gst.MessageType.WARNING:
            gerror, debug = msg.parse_warning()
            self.out("WARNING: from element %s: %s\n" % (src.get_path_string(), gerror.message))
            if debug:
                self.out("Additional debug info:\n%s\n" % debug)
        elif t == Gst.MessageType.ERROR:
            self.on_error(msg)
        elif t == Gst.MessageType.STATE_CHANGED:
            if src != self.pipeline:
                return True
            _old, new, _pending = msg.parse_state_changed()
            if new == Gst.State.PLAYING and self.eos_deferred:
                self.eos_deferred = False
                self.pipeline.send_event(Gst.Event.new_eos())
            if self.target_state == Gst.State.PAUSED and new == Gst.State.PAUSED:
                self.prerolled = True
                self.out("Pipeline is PREROLLED ...\n")
                if self.buffering:
                    self.out("Prerolled, waiting for buffering to finish...\n")
                    return True
                self.initial_play()
        elif t == Gst.MessageType.BUFFERING:
            percent = msg.parse_buffering()
            self.out("buffering... %d%%  \r" % percent)
            if not self.is_live:
                if percent == 100:
                    self.buffering = False
                    if self.target_state == Gst.State.PAUSED:
                        self.initial_play()
                    elif self.target_state == Gst.State.PLAYING:
                        self.out("Done buffering, setting pipeline to PLAYING ...\n")
                        self.pipeline.set_state(Gst.State.PLAYING)
                else:
                    if not self.buffering and self.target_state == Gst.State.PLAYING:
                        self.out("Buffering, setting pipeline to PAUSED ...\n")
                        self.pipeline.set_state(Gst.State.PAUSED)
                    self.buffering = True
        elif t == Gst.MessageType.LATENCY:
            self.out("Redistribute latency...\n")
            self.pipeline.recalculate_latency()
        elif t == Gst.MessageType.REQUEST_STATE:
            state = msg.parse_request_state()
            self.out(
                "Setting state to %s as requested by %s...\n"
                % (Gst.Element.state_get_name(state), src.get_path_string())
            )
            self.pipeline.set_state(state)
        elif t == Gst.MessageType.APPLICATION:
            s = msg.get_structure()
            if s is not None and s.has_name("GstLaunchInterrupt"):
                self.on_interrupt()
        elif t == Gst.MessageType.PROPERTY_NOTIFY and self.opts.verbose:
            self.on_property_notify(msg)
        elif t == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s is not None and s.has_name("missing-plugin"):
                self.out("Missing element: %s\n" % (s.get_string("name") or "(no description)"))
        return True

    def on_error(self, msg):
        gerror, debug = msg.parse_error()
        if msg.src is not None:
            self.err("ERROR: from element %s: %s\n" % (msg.src.get_path_string(), gerror.message))
        else:
            self.err("ERROR: %s\n" % gerror.message)
        if debug:
            self.err("Additional debug info:\n%s\n" % debug)
        if self.target_state == Gst.State.PAUSED:
            self.err("ERROR: pipeline doesn't want to preroll.\n")
        elif self.interrupting:
            self.out("An error happened while waiting for EOS\n")
        self.code = LEC_ERROR
        self.loop.quit()

    def on_interrupt(self):
        self.out("Interrupt: Stopping pipeline ...\n")
        self.interrupting = True
        if self.opts.eos_on_shutdown:
            if self.waiting_eos:
                self.out("Interrupt while waiting for EOS - stopping pipeline...\n")
                self.loop.quit()
            else:
                self.out("EOS on shutdown enabled -- Forcing EOS on the pipeline\n")
                # An EOS sent while a live pipeline is still going to PLAYING can deadlock GStreamer 1.22: the
                # send holds the pipeline's state lock and waits on the source, whose streaming thread waits in
                # the sink's preroll for that very state change. So it waits for PLAYING first.
                if self.target_state == Gst.State.PLAYING and self.pipeline.get_state(0)[1] != Gst.State.PLAYING:
                    self.eos_deferred = True
                else:
                    self.pipeline.send_event(Gst.Event.new_eos())
                self.out("Waiting for EOS...\n")
                self.waiting_eos = True
        else:
            self.loop.quit()

    def on_property_notify(self, msg):
        obj, name, value = msg.parse_property_notify()
        if name in self.opts.exclude:
            return
        if value is None:
            text = "(no value)"
        elif isinstance(value, Gst.Caps):
            text = value.to_string()
        elif isinstance(value, Gst.Structure):
            text = value.to_string()
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        self.out("%s: %s = %s\n" % (obj.get_path_string(), name, text))

    def initial_play(self):
        self.out("Setting pipeline to PLAYING ...\n")
        self.tfthen = Gst.util_get_timestamp()
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            self.err("ERROR: pipeline doesn't want to play.\n")
            self.code = LEC_STATE_CHANGE_FAILURE
            return
        self.target_state = Gst.State.PLAYING

    # -- run --------------------------------------------------------------------------------------------------

    def run(self, pipeline):
        self.pipeline = pipeline
        if self.opts.verbose:
            pipeline.add_property_deep_notify_watch(None, True)
        bus = pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)

        self.out("Setting pipeline to PAUSED ...\n")
        ret = pipeline.set_state(Gst.State.PAUSED)
        if ret == Gst.StateChangeReturn.FAILURE:
            # Let the element's error message print first, as gst-launch's sync handler does.
            self.drain_errors(bus)
            self.err("Failed to set pipeline to PAUSED.\n")
            self.code = LEC_STATE_CHANGE_FAILURE
        else:
            if ret == Gst.StateChangeReturn.NO_PREROLL:
                self.out("Pipeline is live and does not need PREROLL ...\n")
                self.is_live = True
            elif ret == Gst.StateChangeReturn.ASYNC:
                self.out("Pipeline is PREROLLING ...\n")
            self.loop.run()
            if self.tfthen is not None:
                self.out("Execution ended after %s\n" % time_format(Gst.util_get_timestamp() - self.tfthen))

        self.out("Setting pipeline to NULL ...\n")
        pipeline.set_state(Gst.State.NULL)
        bus.remove_signal_watch()
        self.out("Freeing pipeline ...\n")
        if self.sessions_held:
            close_sessions()
            self.sessions_held = False
        return self.code

    def drain_errors(self, bus):
        while True:
            msg = bus.pop_filtered(Gst.MessageType.ERROR)
            if msg is None:
                return
            self.on_error(msg)

    def refuse(self, element, reason):
        """What the Rockchip element prints when the driver will not give it a context."""
        self.out("Setting pipeline to PAUSED ...\n")
        self.err(
            "ERROR: from element %s: Could not initialize supporting library.\n"
            "Additional debug info:\n"
            "../gst/rockchipmpp/gstmpp%s.c(%d): gst_mpp_%s_start (): %s:\n"
            "failed to init mpp ctx: %s\n"
            "ERROR: pipeline doesn't want to preroll.\n"
            "Failed to set pipeline to PAUSED.\n"
            % (
                element.path,
                "enc" if element.kind == "enc" else "dec",
                1166 if element.kind == "enc" else 781,
                "enc" if element.kind == "enc" else "dec",
                element.path,
                reason,
            )
        )
        self.out("Setting pipeline to NULL ...\n")
        self.out("Freeing pipeline ...\n")


def main(argv):
    # Like the C tool: a closed stdout (`| head`) kills it with SIGPIPE instead of raising in a bus callback.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        sys.stdout.reconfigure(line_buffering=True)
    except AttributeError:
        pass
    opts, words = parse_command_line(argv[1:])
    if opts.version:
        Gst.init(None)
        print("gst-launch-1.0 version %s" % Gst.version_string().split(" ")[-1])
        print(Gst.version_string())
        print("Unknown package origin")
        return 0
    if opts.help:
        print("Usage:\n  gst-launch-1.0 [OPTION?] PIPELINE-DESCRIPTION\n")
        return 0
    Gst.init(None)

    rewritten, hardware = rewrite(words)
    launch = Launch(opts, hardware)
    launch.install_signals()

    try:
        pipeline = Gst.parse_launchv(rewritten)
    except GLib.Error as error:
        launch.err("ERROR: pipeline could not be constructed: %s.\n" % error.message)
        return 1
    if pipeline is None:
        launch.err("ERROR: pipeline could not be constructed.\n")
        return 1
    if not isinstance(pipeline, Gst.Pipeline):
        outer = Gst.Pipeline.new(None)
        outer.add(pipeline)
        pipeline = outer

    if hardware:
        ok, failed, reason = open_sessions(hardware, pipeline_label(words))
        if not ok:
            close_sessions()
            launch.refuse(failed, reason)
            return 1
    return launch.run(pipeline)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
