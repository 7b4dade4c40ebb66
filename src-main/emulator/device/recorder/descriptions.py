"""gst-launch-1.0 argument lists for the emulated recorder: camera ingest and recording subscriber.

The camera pipeline is the seed 001 ingest pipeline with a test source in place of v4l2src (no HDMI capture on a
laptop): videotestsrc -> caps -> text overlay -> NV12 -> leaky queue -> the configured encoder -> caps -> parser ->
rtspclientsink. The encoder element and its properties come from config.yml untouched, so the gst-launch wrapper
sees exactly what the real board would (and the kernel model can panic on the Dec 19 config).
"""

PATTERNS = ["smpte", "ball", "smpte75", "colors", "pinwheel", "gamut", "checkers-8", "bar"]


def prop_word(key, value):
    if isinstance(value, bool):
        value = "true" if value else "false"
    return "%s=%s" % (key, value)


def codec_elements(codec):
    """(encoded caps, parser words, RTP encoding name, depayloader) for h264 / h265."""
    if codec == "h265":
        return "video/x-h265,stream-format=byte-stream", ["h265parse", "config-interval=-1"], "H265", "rtph265depay"
    return "video/x-h264,stream-format=byte-stream", ["h264parse", "config-interval=-1"], "H264", "rtph264depay"


def camera_args(name, index, camera, rtsp_base):
    """Arguments after `gst-launch-1.0` for one camera's ingest pipeline."""
    width, height = parse_resolution(camera.get("resolution", "640x360"))
    fps = int(camera.get("framerate", 30) or 30)
    encoder = camera.get("encoder") or {}
    element = str(encoder.get("element", "x264enc"))
    props = encoder.get("properties") or {}
    caps, parser, _, _ = codec_elements(camera.get("codec", "h264"))
    words = ["-e"]
    words += ["videotestsrc", "is-live=true", "pattern=%s" % PATTERNS[index % len(PATTERNS)], "!"]
    words += ["video/x-raw,width=%d,height=%d,framerate=%d/1" % (width, height, fps), "!"]
    words += ["textoverlay", "text=%s" % name, "valignment=top", "halignment=left", "font-desc=Sans 18", "!"]
    words += ["timeoverlay", "valignment=bottom", "halignment=right", "font-desc=Sans 12", "!"]
    words += ["videoconvert", "!", "video/x-raw,format=NV12", "!"]
    words += ["queue", "max-size-buffers=5", "max-size-time=0", "max-size-bytes=0", "leaky=downstream", "!"]
    words += [element] + [prop_word(k, v) for k, v in props.items()] + ["!"]
    words += [caps, "!"]
    words += ["queue", "max-size-buffers=5", "max-size-time=0", "max-size-bytes=0", "leaky=downstream", "!"]
    words += parser + ["!"]
    words += ["rtspclientsink", "location=%s/%s" % (rtsp_base.rstrip("/"), name), "protocols=tcp", "latency=0"]
    return words


def recording_args(codec, container, port, location):
    """Arguments after `gst-launch-1.0` for the recording subscriber (seed 001): RTP on a UDP port to a file."""
    _, _, encoding, depay = codec_elements(codec)
    parser = "h265parse" if codec == "h265" else "h264parse"
    mux = "matroskamux" if container == "mkv" else "mp4mux"
    return [
        "-e",
        "udpsrc",
        "port=%d" % port,
        "caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=%s,payload=96" % encoding,
        "!",
        "rtpjitterbuffer",
        "!",
        depay,
        "!",
        parser,
        "!",
        mux,
        "!",
        "filesink",
        "location=%s" % location,
    ]


def parse_resolution(text):
    try:
        w, h = str(text).lower().split("x", 1)
        return int(w), int(h)
    except ValueError:
        return 640, 360
