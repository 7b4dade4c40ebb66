#!/usr/bin/python3 -S
"""The process inside the emulated `xg2g-transcoder` container (seed 003): its HTTP API on 127.0.0.1:8081.

    transcoder.py --version 1.4.2 [--variant good|broken] [--port 8081] [--faults DIR] [--gpu-file FILE]

    GET /health                      200 {"status":"healthy","vaapi_available":true,"active_streams":N,"version":V}
                                     503 {"status":"unhealthy","vaapi_available":B,"error":"…"}
    GET /metrics                     Prometheus text (xg2g_* plus process_* of this process and its ffmpeg children)
    GET /transcode?source_url=URL    MPEG-TS (H.264 + AAC) from a real ffmpeg's stdout, as long as the client reads;
                                     libx264/aac stand in for the seed's h264_vaapi (no GPU here)

The seed's box encodes on an AMD GPU through VAAPI; here libx264 does the work, and the GPU busy file
(/sys/class/drm/card0/device/gpu_busy_percent) is written once a second from the number of streams (about 45 % per
stream, 0–2 % idle, 0 without VAAPI). Faults are files in --faults, read on every request: `health-fail`
(503 with vaapi_available true), `vaapi-off` (503 with vaapi_available false, transcodes refused). The `broken`
image starts but never opens VAAPI. SIGUSR1 makes the process die with exit code 1 (the emulator's /crash).
Logs go to stdout in the Rust tracing layout (docker logs shows them).
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

RENDER_NODE = "/dev/dri/renderD128"
MAX_FFMPEG_RESTARTS = 3
CHUNK = 188 * 64

state = {
    "active": 0,
    "transcodes": 0,
    "restarts": 0,
    "children": set(),
}
lock = threading.Lock()
args = None


def log(level, text):
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".%06dZ" % (int(time.time() * 1e6) % 1000000)
    sys.stdout.write("%s %5s xg2g_transcoder: %s\n" % (stamp, level, text))
    sys.stdout.flush()


def fault(name):
    return os.path.exists(os.path.join(args.faults, name))


def vaapi_available():
    return args.variant != "broken" and not fault("vaapi-off")


def health():
    vaapi = vaapi_available()
    if not vaapi:
        reason = (
            "VAAPI initialisation failed: vaInitialize failed with error code -1 (unknown libva error)"
            if args.variant == "broken"
            else "VAAPI device %s not available (No such file or directory)" % RENDER_NODE
        )
        return 503, {"status": "unhealthy", "vaapi_available": False, "error": reason}
    if fault("health-fail"):
        return 503, {
            "status": "unhealthy",
            "vaapi_available": True,
            "error": "ffmpeg self-test failed: encoder did not produce output within 5s",
        }
    with lock:
        active = state["active"]
    return 200, {"status": "healthy", "vaapi_available": True, "active_streams": active, "version": args.version}


def proc_rss(pid):
    try:
        with open("/proc/%d/status" % pid) as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def proc_cpu_seconds(pid):
    try:
        with open("/proc/%d/stat" % pid) as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def metrics():
    with lock:
        active, total, restarts = state["active"], state["transcodes"], state["restarts"]
        children = [p.pid for p in state["children"]]
    times = os.times()
    cpu = times.user + times.system + times.children_user + times.children_system
    cpu += sum(proc_cpu_seconds(pid) for pid in children)
    rss = proc_rss(os.getpid()) + sum(proc_rss(pid) for pid in children)
    rows = [
        ("xg2g_active_streams", "gauge", "Transcode sessions streaming now.", active),
        ("xg2g_transcodes_total", "counter", "Transcode sessions started.", total),
        ("xg2g_ffmpeg_restarts_total", "counter", "FFmpeg processes restarted after dying mid-stream.", restarts),
        ("xg2g_vaapi_available", "gauge", "Whether the VAAPI device is usable (1) or not (0).", 1 if vaapi_available() else 0),
        ("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", rss),
        ("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", round(cpu, 2)),
    ]
    out = []
    for name, kind, help_text, value in rows:
        out.append("# HELP %s %s\n# TYPE %s %s\n%s %s\n" % (name, help_text, name, kind, name, value))
    return "".join(out)


def ffmpeg_argv(source):
    # Seed 003's shape (CPU decode, yadif, then the encoder), with libx264/aac in place of h264_vaapi.
    return [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
        "-analyzeduration", "500000", "-probesize", "500000",
        "-fflags", "+genpts+igndts+nobuffer",
        "-i", source,
        "-map", "0:v:0", "-map", "0:a:0?",
        "-vf", "yadif",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-threads", "1",
        # ultrafast alone would signal Constrained Baseline; the seed's output is High (8x8dct + CABAC).
        "-x264-params", "8x8dct=1:cabac=1",
        "-profile:v", "high", "-level:v", "4.1", "-pix_fmt", "yuv420p", "-g", "30",
        "-c:a", "aac", "-b:a", "96k",
        "-f", "mpegts", "pipe:1",
    ]


def start_ffmpeg(source):
    proc = subprocess.Popen(ffmpeg_argv(source), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    with lock:
        state["children"].add(proc)
    threading.Thread(target=drain_stderr, args=(proc,), daemon=True).start()
    return proc


def drain_stderr(proc):
    for raw in proc.stderr:
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            log("WARN", "ffmpeg[%d]: %s" % (proc.pid, line))


def stop_ffmpeg(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    with lock:
        state["children"].discard(proc)


class Handler(BaseHTTPRequestHandler):
    server_version = "xg2g-transcoder/" + "0"
    sys_version = ""
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *a):
        pass

    def reply(self, status, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/health":
            status, body = health()
            return self.reply(status, body)
        if url.path == "/metrics":
            return self.reply(200, metrics(), "text/plain; version=0.0.4; charset=utf-8")
        if url.path == "/transcode":
            return self.transcode(parse_qs(url.query).get("source_url", [""])[0])
        self.reply(404, {"error": "not found"})

    def transcode(self, source):
        if not source:
            return self.reply(400, {"error": "missing query parameter source_url"})
        if not (source.startswith("http://") or source.startswith("https://")):
            return self.reply(400, {"error": "source_url must be an http:// or https:// URL"})
        if not vaapi_available():
            return self.reply(503, {"error": "VAAPI not available: cannot open %s" % RENDER_NODE})
        with lock:
            state["transcodes"] += 1
            state["active"] += 1
        write_gpu()
        log("INFO", "transcode started: source=%s" % source)
        started = time.time()
        sent = 0
        proc = start_ffmpeg(source)
        restarts = 0
        try:
            first = proc.stdout.read1(CHUNK) if hasattr(proc.stdout, "read1") else proc.stdout.read(CHUNK)
            if not first:
                proc.wait()
                log("ERROR", "ffmpeg exited with code %s before any output" % proc.returncode)
                return self.reply(502, {"error": "ffmpeg exited with code %s before any output" % proc.returncode})
            self.send_response(200)
            self.send_header("content-type", "video/mp2t")
            self.send_header("cache-control", "no-cache")
            self.end_headers()
            chunk = first
            while True:
                if chunk:
                    self.wfile.write(chunk)
                    sent += len(chunk)
                else:
                    proc.wait()
                    if proc.returncode == 0 or restarts >= MAX_FFMPEG_RESTARTS:
                        break
                    restarts += 1
                    with lock:
                        state["restarts"] += 1
                    log("WARN", "ffmpeg exited with code %s mid-stream; restarting (%d)" % (proc.returncode, restarts))
                    stop_ffmpeg(proc)
                    proc = start_ffmpeg(source)
                chunk = proc.stdout.read1(CHUNK)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            stop_ffmpeg(proc)
            with lock:
                state["active"] -= 1
            write_gpu()
            log("INFO", "transcode ended: %d bytes in %.1fs" % (sent, time.time() - started))


def write_gpu():
    with lock:
        active = state["active"]
    if not vaapi_available():
        busy = 0
    elif active > 0:
        busy = min(100, 45 * active + random.randint(-5, 5))
    else:
        busy = random.randint(0, 2)
    try:
        with open(args.gpu_file, "w") as fh:
            fh.write("%d\n" % busy)
    except OSError:
        pass


def gpu_writer():
    while True:
        write_gpu()
        time.sleep(1)


def crash(*_):
    log("ERROR", "thread 'tokio-runtime-worker' panicked: ffmpeg supervisor channel closed")
    os._exit(1)


def main():
    global args
    parser = argparse.ArgumentParser()
    parser.add_argument("--version", required=True)
    parser.add_argument("--variant", choices=["good", "broken"], default="good")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--faults", default="/run/tally-emu/faults")
    parser.add_argument("--gpu-file", default="/sys/class/drm/card0/device/gpu_busy_percent")
    args = parser.parse_args()
    Handler.server_version = "xg2g-transcoder/" + args.version
    signal.signal(signal.SIGUSR1, crash)
    signal.signal(signal.SIGTERM, lambda *_: (log("INFO", "SIGTERM received, shutting down"), os._exit(0)))
    log("INFO", "xg2g-gpu-transcoder %s starting" % args.version)
    if vaapi_available():
        log("INFO", "VAAPI device %s opened (driver: Mesa Gallium driver for AMD Radeon 780M (gfx1103_r1))" % RENDER_NODE)
    else:
        log("ERROR", "VAAPI initialisation failed on %s; transcodes will be refused" % RENDER_NODE)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    threading.Thread(target=gpu_writer, daemon=True).start()
    log("INFO", "listening on 127.0.0.1:%d" % args.port)
    server.serve_forever()


if __name__ == "__main__":
    main()
