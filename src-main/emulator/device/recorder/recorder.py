#!/usr/bin/python3
"""The emulated preke-recorder service (the uvicorn app on the real R58).

    /usr/bin/python3 recorder.py --config /opt/preke-r58-recorder/config.yml --api-port 8000

Starts one real GStreamer ingest pipeline per camera in config.yml through gst-launch-1.0 (the device's wrapper,
so hardware encoders take VPU sessions), and serves:

    GET  /status, /api/status          {"summary":{"total","streaming","no_signal","error"},"cameras":{camN: word}}
    POST /ingest/start[?camera=camN,…] start those cameras' pipelines (all by default) {"started","errors"}
    POST /ingest/stop[?camera=camN,…]  stop them with EOS (SIGINT), SIGTERM after 3 s {"stopped","errors"}
    POST /record/start[?camera=camN]   start recording subscribers (all streaming cameras by default)
    POST /record/stop[?camera=camN]    EOS them so the files are finalised
    GET  /record/status                active recordings
    GET  /recordings                   files in the recording directory
    GET  /health                       {"status":"ok"}

A pipeline that dies leaves its camera in "error" until the service restarts or /ingest/start starts it again (no
restart loop: a panic config would panic again). If the hold file (--hold-file, default
/run/preke-recorder/hold-cameras) exists at start, it is removed and no camera starts: they are "stopped" until
/ingest/start. A camera named in the dead-cameras file (--dead-cameras-file, default /run/tally-emu/dead-cameras,
written by the emulator's camera-dead fault) when it starts finds no signal: no pipeline, "no_signal" until it
starts again unlisted. SIGTERM/SIGINT: stop recordings with EOS, then the cameras, then exit.
Environment: TALLY_GST_LAUNCH overrides the gst-launch-1.0 command line (tests); TALLY_EMU_SOCK is passed on.
"""

import argparse
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

# The service runs from the emulator's checkout: leave no __pycache__ in it.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import yaml  # noqa: E402

    YAML_ERRORS = (yaml.YAMLError,)

    def parse_yaml(text):
        return yaml.safe_load(text)

except ImportError:  # no python3-yaml on this machine: the subset config.yml uses
    import mini_yaml  # noqa: E402

    YAML_ERRORS = ()

    def parse_yaml(text):
        return mini_yaml.loads(text)


from processes import log  # noqa: E402
from service import DEAD_CAMERAS_FILE, Recorder  # noqa: E402

HOLD_FILE = "/run/preke-recorder/hold-cameras"


def load_config(path):
    with open(path, encoding="utf-8") as fh:
        config = parse_yaml(fh.read()) or {}
    # `cameras: {}` is a box with nothing connected (the emulator's light mode): the API answers, nothing streams.
    if not isinstance(config.get("cameras"), dict):
        raise ValueError("no cameras in %s" % path)
    return config


def held(hold_file):
    """True if the hold file exists; it is removed, so the next start runs every camera again."""
    try:
        os.remove(hold_file)
        return True
    except FileNotFoundError:
        return False
    except OSError as err:
        log("WARNING:  cannot remove %s: %s; holding the cameras anyway" % (hold_file, err))
        return os.path.exists(hold_file)


def make_handler(recorder):
    class Handler(BaseHTTPRequestHandler):
        server_version = "uvicorn"
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def log_request(self, code="-", size="-"):
            status = int(code) if str(code).isdigit() else 0
            phrase = self.responses.get(status, ("",))[0]
            log('INFO:     %s:%d - "%s" %s %s' % (self.client_address[0], self.client_address[1], self.requestline, code, phrase))

        def reply(self, status, value):
            body = (json.dumps(value) + "\n").encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def route(self):
            url = urlparse(self.path)
            path = url.path.rstrip("/") or "/"
            if path.startswith("/api/"):
                path = path[4:]
            query = parse_qs(url.query)
            return path, query

        def selected(self, query):
            if "camera" in query:
                return [c for c in query["camera"][0].split(",") if c]
            return list(recorder.cameras)

        def do_GET(self):
            path, _query = self.route()
            if path == "/status":
                self.reply(200, recorder.status())
            elif path == "/health":
                self.reply(200, {"status": "ok"})
            elif path == "/record/status":
                self.reply(200, {"recording": recorder.active_recordings()})
            elif path == "/recordings":
                self.reply(200, {"dir": recorder.recordings_dir, "recordings": recorder.list_recordings()})
            else:
                self.reply(404, {"detail": "Not Found"})

        def do_POST(self):
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            path, query = self.route()
            if path == "/ingest/start":
                started, errors = recorder.start_ingest(self.selected(query))
                self.reply(200, {"ok": not errors, "started": started, "errors": errors})
            elif path == "/ingest/stop":
                stopped, errors = recorder.stop_ingest(self.selected(query))
                self.reply(200, {"ok": not errors, "stopped": stopped, "errors": errors})
            elif path == "/record/start":
                started, errors = recorder.start_recording(self.selected(query))
                status = 200 if started else 409
                self.reply(status, {"ok": bool(started) and not errors, "started": started, "errors": errors})
            elif path == "/record/stop":
                names = self.selected(query)
                stopped = recorder.stop_recording(names)
                self.reply(200, {"ok": True, "stopped": stopped})
            else:
                self.reply(404, {"detail": "Not Found"})

    return Handler


def main(argv):
    parser = argparse.ArgumentParser(prog="recorder.py")
    parser.add_argument("--config", default="/opt/preke-r58-recorder/config.yml")
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--hold-file", default=HOLD_FILE)
    parser.add_argument("--dead-cameras-file", default=DEAD_CAMERAS_FILE)
    args = parser.parse_args(argv)

    log("INFO:     Started server process [%d]" % os.getpid())
    try:
        config = load_config(args.config)
    except (OSError, ValueError) + YAML_ERRORS as err:
        log("ERROR:    cannot load config: %s" % err)
        return 1

    stop = threading.Event()

    def on_signal(signum, _frame):
        log("INFO:     Shutting down (%s)" % signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    recorder = Recorder(config, args.dead_cameras_file)
    try:
        server = ThreadingHTTPServer((args.host, args.api_port), make_handler(recorder))
    except OSError as err:
        log("ERROR:    [Errno %s] error while attempting to bind on address (%r, %d): %s"
            % (err.errno, args.host, args.api_port, err.strerror))
        return 1
    server.daemon_threads = True
    log("INFO:     Waiting for application startup.")
    if held(args.hold_file):
        log("INFO:     %s was there: cameras held until POST /ingest/start" % args.hold_file)
        recorder.hold_cameras()
    else:
        recorder.start_cameras()
    log("INFO:     Application startup complete.")
    log("INFO:     Uvicorn running on http://%s:%d (Press CTRL+C to quit)" % (args.host, args.api_port))
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()

    while not stop.wait(1.0):
        pass
    log("INFO:     Waiting for application shutdown.")
    recorder.shutdown()
    server.shutdown()
    log("INFO:     Application shutdown complete.")
    log("INFO:     Finished server process [%d]" % os.getpid())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
