#!/usr/bin/python3 -S
"""The VMS host's RTSP server (the `mediamtx` unit of an emulated VMS box): takes ffmpeg's RTSP pushes and plays
them to readers, TCP-interleaved, without decoding anything.

    rtsp_relay.py [--port 8554] [--api-port 9997] [--faults DIR]

Publishers: ANNOUNCE (SDP) → SETUP (RTP/AVP/TCP interleaved; UDP gets 461) → RECORD, then `$`-framed RTP.
Readers: DESCRIBE (the publisher's SDP; 404 when nobody publishes) → SETUP (TCP interleaved; UDP gets 461, so
ffmpeg and GStreamer clients retry over TCP) → PLAY, then the publisher's packets as they come. Path names are the
URL path, e.g. `live/Duc_Tai_Dendo_1`. A new publisher on a busy path replaces the old one; a publisher that leaves
takes its path offline and closes its readers, as MediaMTX does.

Fault: a camera listed in <faults>/output-down (one name per line) has its `live/<camera>` path taken offline while
its publisher keeps sending (the packets are dropped): readers are closed, DESCRIBE answers 404, the recording
side of the same ffmpeg goes on. Checked once a second and on every DESCRIBE.

API on 127.0.0.1:9997: GET /v3/paths/list → {"itemCount":N,"items":[{"name","online","tracks","readers",
"inboundBytes","outboundBytes"}]} (MediaMTX's field names, only these).
"""

import argparse
import asyncio
import json
import os
import re
import sys
import time
import uuid

MAX_QUEUED = 4 * 1024 * 1024
PUBLIC = "OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, RECORD, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER"
args = None
paths = {}


def log(text):
    sys.stdout.write("%s INF %s\n" % (time.strftime("%Y/%m/%d %H:%M:%S"), text))
    sys.stdout.flush()


def down_cameras():
    try:
        with open(os.path.join(args.faults, "output-down")) as fh:
            return {line.strip() for line in fh if line.strip()}
    except OSError:
        return set()


def is_down(name):
    return name.split("/")[-1] in down_cameras()


class Path:
    def __init__(self, name):
        self.name = name
        self.publisher = None
        self.sdp = ""
        self.controls = []
        self.readers = set()
        self.inbound = 0
        self.outbound = 0

    def online(self):
        return self.publisher is not None and self.publisher.recording and not is_down(self.name)

    def tracks(self):
        return ["H265" if "H265/" in self.sdp else "H264"] if self.sdp else []

    def close_readers(self):
        for reader in list(self.readers):
            reader.close()
        self.readers.clear()


class Conn:
    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.session = uuid.uuid4().hex[:16]
        self.role = None
        self.path = None
        self.recording = False
        self.playing = False
        self.pub_tracks = {}  # publisher: interleaved channel base → track index
        self.read_tracks = {}  # reader: track index → interleaved channel base
        self.closed = False

    def close(self):
        if not self.closed:
            self.closed = True
            self.writer.close()

    def send(self, data):
        if self.closed:
            return
        if self.writer.transport.get_write_buffer_size() > MAX_QUEUED:
            self.close()
            return
        self.writer.write(data)


def split_url(url):
    m = re.match(r"rtsp://[^/]+/?(.*)$", url)
    return (m.group(1) if m else url.lstrip("/")).strip("/")


def controls_of(sdp):
    out = []
    for section in re.split(r"\r?\nm=", sdp)[1:]:
        m = re.search(r"a=control:(\S+)", section)
        out.append(m.group(1) if m else "")
    return out


def find_track(url, known):
    """(path name, track index) for a SETUP URL: the path, then the track's control attribute."""
    rest = split_url(url)
    for name, path in known.items():
        if rest == name:
            return name, 0
        if rest.startswith(name + "/"):
            control = rest[len(name) + 1:]
            for i, c in enumerate(path.controls):
                if c == control or c.endswith("/" + control):
                    return name, i
            return name, 0
    return None, None


def response(cseq, status, reason, headers=(), body=b""):
    lines = ["RTSP/1.0 %d %s" % (status, reason), "CSeq: %s" % cseq, "Server: mediamtx-vms-emulated"]
    lines += ["%s: %s" % h for h in headers]
    if body:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def next_message(conn):
    first = await conn.reader.read(1)
    if not first:
        return None
    if first == b"$":
        head = await conn.reader.readexactly(3)
        size = (head[1] << 8) | head[2]
        return ("frame", head[0], await conn.reader.readexactly(size))
    rest = await conn.reader.readuntil(b"\r\n\r\n")
    text = (first + rest).decode("latin1")
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    headers = {}
    for h in lines[1:]:
        if ":" in h:
            k, v = h.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = await conn.reader.readexactly(length) if length else b""
    return ("request", parts[0] if parts else "", parts[1] if len(parts) > 1 else "", headers, body)


def on_frame(conn, channel, data):
    if conn.role != "publisher" or not conn.recording:
        return
    path = paths.get(conn.path)
    if path is None or path.publisher is not conn:
        return
    path.inbound += len(data) + 4
    if is_down(path.name):
        return
    track = conn.pub_tracks.get(channel - channel % 2)
    if track is None:
        return
    for r in list(path.readers):
        base = r.read_tracks.get(track)
        if base is None or not r.playing:
            continue
        c = base + channel % 2
        r.send(bytes([0x24, c, len(data) >> 8, len(data) & 0xFF]) + data)
        path.outbound += len(data) + 4
        if r.closed:
            path.readers.discard(r)


def handle(conn, method, url, headers, body):
    cseq = headers.get("cseq", "0")
    session = [("Session", "%s;timeout=60" % conn.session)]
    if method == "OPTIONS":
        return response(cseq, 200, "OK", [("Public", PUBLIC)])
    if method == "ANNOUNCE":
        name = split_url(url)
        if not name:
            return response(cseq, 400, "Bad Request")
        path = paths.setdefault(name, Path(name))
        if path.publisher is not None and path.publisher is not conn:
            log("[path %s] publisher replaced" % name)
            path.publisher.close()
            path.close_readers()
        path.publisher = conn
        path.sdp = body.decode("latin1")
        path.controls = controls_of(path.sdp)
        conn.role, conn.path = "publisher", name
        return response(cseq, 200, "OK")
    if method == "SETUP":
        transport = headers.get("transport", "")
        m = re.search(r"interleaved=(\d+)(?:-(\d+))?", transport)
        if "TCP" not in transport.upper() or not m:
            return response(cseq, 461, "Unsupported Transport")
        base = int(m.group(1))
        if conn.role == "publisher":
            _, track = find_track(url, {conn.path: paths[conn.path]})
            conn.pub_tracks[base] = track or 0
        else:
            name, track = find_track(url, {n: p for n, p in paths.items() if p.online()})
            if name is None:
                return response(cseq, 404, "Not Found")
            conn.role, conn.path = "reader", name
            conn.read_tracks[track] = base
        return response(cseq, 200, "OK", [("Transport", "RTP/AVP/TCP;unicast;interleaved=%d-%d" % (base, base + 1))] + session)
    if method == "RECORD":
        if conn.role != "publisher":
            return response(cseq, 455, "Method Not Valid in This State")
        conn.recording = True
        log("[RTSP] [session %s] is publishing to path '%s'" % (conn.session[:8], conn.path))
        return response(cseq, 200, "OK", session)
    if method == "DESCRIBE":
        name = split_url(url)
        path = paths.get(name)
        if path is None or not path.online():
            return response(cseq, 404, "Not Found")
        sdp = path.sdp.encode("latin1")
        base = url if url.endswith("/") else url + "/"
        return response(cseq, 200, "OK", [("Content-Type", "application/sdp"), ("Content-Base", base)], sdp)
    if method == "PLAY":
        path = paths.get(conn.path or "")
        if conn.role != "reader" or path is None or not path.online():
            return response(cseq, 455, "Method Not Valid in This State")
        conn.playing = True
        path.readers.add(conn)
        return response(cseq, 200, "OK", session)
    if method in ("GET_PARAMETER", "SET_PARAMETER", "PAUSE"):
        return response(cseq, 200, "OK", session)
    if method == "TEARDOWN":
        conn.close()
        return response(cseq, 200, "OK", session)
    return response(cseq, 501, "Not Implemented")


async def serve_rtsp(reader, writer):
    conn = Conn(reader, writer)
    try:
        while not conn.closed:
            msg = await next_message(conn)
            if msg is None:
                break
            if msg[0] == "frame":
                on_frame(conn, msg[1], msg[2])
                continue
            _, method, url, headers, body = msg
            reply = handle(conn, method, url, headers, body)
            if not writer.is_closing():
                writer.write(reply)
            if method == "TEARDOWN":
                break
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        pass
    finally:
        conn.close()
        path = paths.get(conn.path or "")
        if path is not None:
            if path.publisher is conn:
                path.publisher = None
                path.close_readers()
                log("[RTSP] [session %s] destroyed: publisher of '%s' left" % (conn.session[:8], path.name))
            path.readers.discard(conn)


async def watch_faults():
    while True:
        await asyncio.sleep(1)
        for path in paths.values():
            if path.readers and is_down(path.name):
                log("[path %s] output down: closing %d reader(s)" % (path.name, len(path.readers)))
                path.close_readers()


async def serve_api(reader, writer):
    try:
        line = await reader.readline()
        while True:
            h = await reader.readline()
            if not h or h in (b"\r\n", b"\n"):
                break
        parts = line.decode("latin1").split(" ")
        target = parts[1].split("?", 1)[0] if len(parts) > 1 else ""
        if target == "/v3/paths/list":
            items = [
                {
                    "name": p.name,
                    "online": p.online(),
                    "ready": p.online(),
                    "tracks": p.tracks() if p.online() else [],
                    "readers": [{"type": "rtspSession", "id": r.session} for r in p.readers],
                    "inboundBytes": p.inbound,
                    "outboundBytes": p.outbound,
                }
                for p in sorted(paths.values(), key=lambda p: p.name)
            ]
            status, body = "200 OK", {"pageCount": 1, "itemCount": len(items), "items": items}
        else:
            status, body = "404 Not Found", {"error": "not found"}
        data = json.dumps(body).encode()
        writer.write(("HTTP/1.1 %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % (status, len(data))).encode() + data)
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main():
    global args
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8554)
    parser.add_argument("--api-port", type=int, default=9997)
    parser.add_argument("--faults", default="/run/tally-emu/faults")
    args = parser.parse_args()
    rtsp = await asyncio.start_server(serve_rtsp, "0.0.0.0", args.port, limit=1 << 20)
    api = await asyncio.start_server(serve_api, "127.0.0.1", args.api_port)
    log("[RTSP] listener opened on :%d (TCP)" % args.port)
    log("[API] listener opened on 127.0.0.1:%d" % args.api_port)
    asyncio.get_running_loop().create_task(watch_faults())
    async with rtsp, api:
        await asyncio.gather(rtsp.serve_forever(), api.serve_forever())


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
