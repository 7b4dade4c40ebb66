#!/usr/bin/python3 -S
"""The `mediamtx` unit of a light emulated R58 (the emulator's fleet mode): a MediaMTX with no paths.

    /usr/bin/python3 -S light-mediamtx.py [--api-port 9997] [--whep-port 8889] [--config /etc/mediamtx/mediamtx.yml]

A light box has no cameras, so a MediaMTX there has nothing to serve: the API answers as one with no paths would,
and WHEP answers every path with 404, as MediaMTX does for a path that does not exist. No RTSP, ICE or HLS. It
costs one small Python process instead of the media server stand-in (src-main/emulator/media/), so 32 boxes fit on
a 2-core machine.

    API (127.0.0.1:9997)
    GET /v3/paths/list, /v3/rtspsessions/list, /v3/webrtcsessions/list   {"pageCount":0,"itemCount":0,"items":[]}
    GET /v3/paths/get/<name>                                              404 {"error":"path not found"}
    GET /v3/config/global/get                                             the settings the console looks at, with
                                                                          webrtcLocalTCPAddress from mediamtx.yml
    WHEP (0.0.0.0:8889)
    any request                                                           404 {"error":"path not found"}
"""

import argparse
import json
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EMPTY = {"pageCount": 0, "itemCount": 0, "items": []}
LISTS = ("/v3/paths/list", "/v3/rtspsessions/list", "/v3/webrtcsessions/list")

# The keys the console reads (previews: ICE-TCP, HLS); webrtcLocalTCPAddress comes from the box's mediamtx.yml.
GLOBAL = {
    "logLevel": "info",
    "api": True,
    "apiAddress": "127.0.0.1:9997",
    "rtsp": True,
    "rtspAddress": ":8554",
    "rtmp": False,
    "hls": True,
    "hlsAddress": ":8888",
    "webrtc": True,
    "webrtcAddress": ":8889",
    "webrtcLocalUDPAddress": "",
    "webrtcLocalTCPAddress": ":8189",
    "srt": False,
}


def ice_tcp_setting(path):
    """`webrtcLocalTCPAddress: ':8189'` (or '') from mediamtx.yml, as the media server stand-in reads it."""
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                m = re.match(r"""^webrtcLocalTCPAddress:\s*['"]?([^'"#\s]*)['"]?""", line)
                if m:
                    return m.group(1)
    except OSError:
        pass
    return None


def log(text):
    stamp = time.strftime("%Y/%m/%d %H:%M:%S")
    sys.stderr.write("%s %s\n" % (stamp, text))
    sys.stderr.flush()


class Quiet(BaseHTTPRequestHandler):
    server_version = "mediamtx"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Api(Quiet):
    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path in LISTS:
            self.reply(200, EMPTY)
        elif path.startswith("/v3/paths/get/"):
            self.reply(404, {"error": "path not found"})
        elif path == "/v3/config/global/get":
            self.reply(200, GLOBAL)
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        self.reply(404, {"error": "not found"})


class Whep(Quiet):
    """No path exists, so every WHEP request (offer, trickle, delete) is about a path that is not there."""

    def answer(self):
        length = int(self.headers.get("content-length") or 0)
        if 0 < length <= 1 << 20:
            self.rfile.read(length)
        self.reply(404, {"error": "path not found"})

    do_GET = do_POST = do_PATCH = do_DELETE = do_OPTIONS = answer


def serve(host, port, handler):
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--api-port", type=int, default=9997)
    parser.add_argument("--api-host", default="127.0.0.1")
    parser.add_argument("--whep-port", type=int, default=8889)
    parser.add_argument("--config", default="/etc/mediamtx/mediamtx.yml")
    args = parser.parse_args()
    ice_tcp = ice_tcp_setting(args.config)
    if ice_tcp is not None:
        GLOBAL["webrtcLocalTCPAddress"] = ice_tcp
    GLOBAL["apiAddress"] = "%s:%d" % (args.api_host, args.api_port)
    GLOBAL["webrtcAddress"] = ":%d" % args.whep_port
    api = serve(args.api_host, args.api_port, Api)
    whep = serve("0.0.0.0", args.whep_port, Whep)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log("INF MediaMTX (light emulated R58: no cameras, so no paths)")
    log("INF [API] listener opened on %s:%d" % (args.api_host, args.api_port))
    log("INF [WebRTC] listener opened on :%d (HTTP)" % args.whep_port)
    threading.Thread(target=whep.serve_forever, daemon=True).start()
    try:
        api.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        log("INF [API] listener is closing")


if __name__ == "__main__":
    main()
