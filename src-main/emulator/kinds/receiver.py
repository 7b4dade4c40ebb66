#!/usr/bin/python3 -S
"""The venue's satellite receiver as the emulated transcoder box sees it (seed 003: an Enigma2 box serving DVB as
live HTTP MPEG-TS with MPEG-2 video and MP2 audio): GET /test.ts on 127.0.0.1:17999.

    receiver.py [--port 17999] [--size 320x180] [--fps 15]

Each client gets its own real ffmpeg (lavfi test picture and tone → mpeg2video + mp2, constant-rate MPEG-TS). The
stream is paced here at its mux rate, after a first burst of BURST_S seconds, as a receiver's buffer sends it: so
a transcoder that keeps up shows a speed above 1× at first and 1× after. Nothing runs while nobody reads.
"""

import argparse
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MUXRATE = 1_000_000  # bits per second of the constant-rate transport stream
BURST_S = 2.0
CHUNK = 188 * 32
args = None


def log(text):
    sys.stdout.write("%s receiver: %s\n" % (time.strftime("%Y-%m-%d %H:%M:%S"), text))
    sys.stdout.flush()


def ffmpeg_argv():
    return [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
        "-f", "lavfi", "-i", "testsrc2=size=%s:rate=%d" % (args.size, args.fps),
        "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
        "-c:v", "mpeg2video", "-b:v", "600k", "-maxrate", "600k", "-bufsize", "600k", "-g", str(args.fps),
        "-c:a", "mp2", "-b:a", "128k", "-ac", "2",
        "-f", "mpegts", "-muxrate", str(MUXRATE), "pipe:1",
    ]


class Handler(BaseHTTPRequestHandler):
    server_version = "Enigma2 WebInterface"
    sys_version = ""
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *a):
        pass

    def do_GET(self):
        if self.path.split("?", 1)[0] != "/test.ts":
            body = b"not found\n"
            self.send_response(404)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        proc = subprocess.Popen(ffmpeg_argv(), stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        peer = "%s:%d" % self.client_address[:2]
        log("stream start for %s" % peer)
        sent = 0
        try:
            self.send_response(200)
            self.send_header("content-type", "video/mp2t")
            self.end_headers()
            rate = MUXRATE / 8.0
            start = time.monotonic()
            while True:
                allowed = rate * (BURST_S + time.monotonic() - start)
                if sent >= allowed:
                    time.sleep(min(0.05, (sent - allowed) / rate + 0.001))
                    continue
                chunk = proc.stdout.read(CHUNK)
                if not chunk:
                    break
                self.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            proc.kill()
            proc.wait()
            log("stream end for %s (%d bytes)" % (peer, sent))


def main():
    global args
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=17999)
    parser.add_argument("--size", default="320x180")
    parser.add_argument("--fps", type=int, default=15)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    log("serving MPEG-2 + MP2 test stream on http://127.0.0.1:%d/test.ts" % args.port)
    server.serve_forever()


if __name__ == "__main__":
    main()
