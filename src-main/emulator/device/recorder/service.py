"""The recorder's state: one ingest pipeline per camera, recordings as subscriber pipelines."""

import json
import os
import shlex
import signal
import socket
import threading
import time
import urllib.error
import urllib.request

from descriptions import camera_args, parse_resolution, recording_args
from processes import GstProcess, describe_exit as describe, log


def launcher_argv():
    """How to run gst-launch-1.0: $TALLY_GST_LAUNCH (split like a shell) or the one on PATH."""
    custom = os.environ.get("TALLY_GST_LAUNCH")
    return shlex.split(custom) if custom else ["gst-launch-1.0"]


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MediaForward:
    """The media server's RTP forward for recordings: POST/DELETE {api}/internal/forward {path, port}."""

    def __init__(self, api_base):
        self.url = api_base.rstrip("/") + "/internal/forward"

    def _call(self, method, path, port):
        body = json.dumps({"path": path, "port": port}).encode()
        url = "%s?path=%s&port=%d" % (self.url, path, port) if method == "DELETE" else self.url
        req = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return 200 <= resp.status < 300, "HTTP %d" % resp.status
        except urllib.error.HTTPError as err:
            return False, "HTTP %d %s" % (err.code, err.read().decode("utf-8", "replace").strip()[:200])
        except (urllib.error.URLError, OSError) as err:
            return False, str(getattr(err, "reason", err))

    def start(self, path, port):
        return self._call("POST", path, port)

    def stop(self, path, port):
        return self._call("DELETE", path, port)


# The emulator's camera-dead fault (POST /camera-dead?camera=camN on its control server) lists cameras here, one a
# line. A camera listed when it starts finds no signal and never streams until it starts again unlisted.
DEAD_CAMERAS_FILE = "/run/tally-emu/dead-cameras"


def dead_cameras(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return {line.strip() for line in fh if line.strip()}
    except OSError:
        return set()


class Camera:
    def __init__(self, name, index, config):
        self.name = name
        self.index = index
        self.config = config
        self.width, self.height = parse_resolution(config.get("resolution", "640x360"))
        self.process = None
        # False while the camera is held (hold file at start) or stopped through /ingest/stop.
        self.wanted = True
        # True when its last start found no signal (the camera-dead fault): no pipeline runs.
        self.dead = False

    @property
    def codec(self):
        return "h265" if str(self.config.get("codec", "h264")).lower() in ("h265", "hevc") else "h264"

    def state(self):
        """streaming (WxH) / starting / error / no_signal in the seed 001 status words; stopped / stopping when not
        wanted."""
        p = self.process
        if not self.wanted:
            return "stopping" if p is not None and p.alive() else "stopped"
        if self.dead:
            return "no_signal"
        if p is None or not p.alive():
            return "error"
        if not p.playing.is_set():
            return "starting"
        return "streaming (%dx%d)" % (self.width, self.height)


class Recording:
    def __init__(self, camera, port, location, process):
        self.camera = camera
        self.port = port
        self.location = location
        self.process = process
        self.started = time.strftime("%Y-%m-%dT%H:%M:%S%z")


class Recorder:
    def __init__(self, config, dead_cameras_file=DEAD_CAMERAS_FILE):
        self.config = config
        self.dead_cameras_file = dead_cameras_file
        self.launcher = launcher_argv()
        cams = config.get("cameras") or {}
        self.cameras = {name: Camera(name, i, cams[name] or {}) for i, name in enumerate(cams)}
        rec = config.get("recording") or {}
        self.recordings_dir = rec.get("dir", "/var/recordings")
        self.container = "mkv" if str(rec.get("container", "mp4")).lower() in ("mkv", "matroska") else "mp4"
        media = config.get("mediamtx") or {}
        self.rtsp_base = media.get("rtsp", "rtsp://127.0.0.1:8554")
        self.forward = MediaForward(media.get("api", "http://127.0.0.1:9997"))
        self.recordings = {}
        self.lock = threading.Lock()
        # One /ingest/start or /ingest/stop at a time, so two requests never start the same camera twice.
        self.ingest_lock = threading.Lock()

    # -- cameras ----------------------------------------------------------------------------------------------

    def _start_camera(self, cam):
        cam.wanted = True
        cam.dead = cam.name in dead_cameras(self.dead_cameras_file)
        if cam.dead:
            # A capture input without a signal: nothing to encode, so no pipeline and no MediaMTX path.
            cam.process = None
            log("WARNING:  %s: no signal on %s" % (cam.name, cam.config.get("device", "its capture device")))
            return
        args = camera_args(cam.name, cam.index, cam.config, self.rtsp_base)
        cam.process = GstProcess(cam.name, self.launcher, args)

    def start_cameras(self):
        for cam in self.cameras.values():
            self._start_camera(cam)

    def hold_cameras(self):
        """The hold file was there at start: no camera pipeline runs until /ingest/start asks for it."""
        for cam in self.cameras.values():
            cam.wanted = False

    def start_ingest(self, names, settle=5.0):
        """/ingest/start: start these cameras' pipelines as at a normal start. A pipeline that fails right away
        (the VPU refused a session, a bad element) is an error. Returns ({camera: state}, {camera: error})."""
        started, errors = {}, {}
        with self.ingest_lock:
            fresh = []
            for name in names:
                cam = self.cameras.get(name)
                if cam is None:
                    errors[name] = "unknown camera"
                elif cam.process is not None and cam.process.alive() and cam.wanted:
                    started[name] = cam.state()
                elif cam.process is not None and cam.process.alive():
                    errors[name] = "still stopping (pid %d)" % cam.process.pid
                else:
                    log("INFO:     %s: ingest start" % name)
                    self._start_camera(cam)
                    if cam.dead:
                        errors[name] = "no signal"
                    else:
                        fresh.append(cam)
            deadline = time.time() + settle
            for cam in fresh:
                p = cam.process
                while not p.playing.is_set() and not p.exited.is_set() and time.time() < deadline:
                    p.exited.wait(0.05)
                if p.alive():
                    started[cam.name] = cam.state()
                else:
                    p.exited.wait(1.0)
                    errors[cam.name] = p.last_error or "pipeline ended at once (%s)" % describe(p.returncode)
        return started, errors

    def stop_ingest(self, names):
        """/ingest/stop: the cameras' recordings get EOS first, then the pipelines are stopped as at shutdown
        (SIGINT for EOS, SIGTERM after 3 s). Returns ({camera: state}, {camera: error})."""
        stopped, errors = {}, {}
        with self.ingest_lock:
            cams = []
            for name in names:
                cam = self.cameras.get(name)
                if cam is None:
                    errors[name] = "unknown camera"
                    continue
                cam.wanted = False
                cams.append(cam)
            recording = [c.name for c in cams if c.name in self.recordings]
            if recording:
                self.stop_recording(recording)
            running = [c for c in cams if c.process is not None and c.process.alive()]
            for c in running:
                log("INFO:     %s: ingest stop" % c.name)
            threads = [threading.Thread(target=c.process.stop_gracefully, args=(3.0, 3.0), daemon=True) for c in running]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for c in cams:
                stopped[c.name] = c.state()
        return stopped, errors

    def status(self):
        states = {name: cam.state() for name, cam in self.cameras.items()}
        return {
            "summary": {
                "total": len(states),
                "streaming": sum(1 for s in states.values() if s.startswith("streaming")),
                "no_signal": sum(1 for s in states.values() if s == "no_signal"),
                "error": sum(1 for s in states.values() if s == "error"),
            },
            "cameras": states,
        }

    # -- recordings -------------------------------------------------------------------------------------------

    def _location(self, cam):
        stamp = time.strftime("%Y%m%d_%H%M%S")
        base = os.path.join(self.recordings_dir, "%s_%s" % (cam.name, stamp))
        location = "%s.%s" % (base, self.container)
        n = 1
        while os.path.exists(location):
            location = "%s_%d.%s" % (base, n, self.container)
            n += 1
        return location

    def start_recording(self, names):
        """Start a subscriber per camera. Returns ({camera: file}, {camera: error})."""
        started, errors = {}, {}
        os.makedirs(self.recordings_dir, exist_ok=True)
        for name in names:
            cam = self.cameras.get(name)
            if cam is None:
                errors[name] = "unknown camera"
                continue
            with self.lock:
                current = self.recordings.get(name)
                if current and current.process.alive():
                    started[name] = current.location
                    continue
            if not cam.state().startswith("streaming"):
                errors[name] = "camera is %s" % cam.state()
                continue
            port = free_udp_port()
            location = self._location(cam)
            proc = GstProcess("rec-" + name, self.launcher, recording_args(cam.codec, self.container, port, location))
            if not proc.playing.wait(5.0) or not proc.alive():
                proc.stop_gracefully(1.0, 1.0)
                errors[name] = proc.last_error or "recording pipeline did not start"
                continue
            ok, detail = self.forward.start(name, port)
            if not ok:
                proc.stop_gracefully(1.0, 1.0)
                errors[name] = "media server forward failed: %s" % detail
                log("ERROR:    %s: media server forward failed: %s" % (name, detail))
                continue
            with self.lock:
                self.recordings[name] = Recording(name, port, location, proc)
            log("INFO:     %s: recording to %s (RTP on udp/%d)" % (name, location, port))
            started[name] = location
        return started, errors

    def stop_recording(self, names):
        """EOS each subscriber (SIGINT with -e) so the file is finalised, then drop the forward."""
        stopped = {}
        with self.lock:
            targets = [self.recordings.pop(n) for n in names if n in self.recordings]
        threads = []
        for rec in targets:
            t = threading.Thread(target=self._stop_one, args=(rec, stopped), daemon=True)
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        return stopped

    def _stop_one(self, rec, stopped):
        rec.process.stop_gracefully(eos_timeout=5.0, term_timeout=3.0)
        ok, detail = self.forward.stop(rec.camera, rec.port)
        if not ok:
            log("WARNING:  %s: media server forward stop: %s" % (rec.camera, detail))
        size = os.path.getsize(rec.location) if os.path.exists(rec.location) else 0
        log("INFO:     %s: recording stopped, %s (%d bytes)" % (rec.camera, rec.location, size))
        stopped[rec.camera] = {"file": rec.location, "bytes": size}

    def active_recordings(self):
        with self.lock:
            return {
                name: {"file": rec.location, "started": rec.started, "running": rec.process.alive()}
                for name, rec in self.recordings.items()
            }

    def list_recordings(self):
        active = {rec.location for rec in self.recordings.values()}
        out = []
        try:
            names = sorted(os.listdir(self.recordings_dir))
        except OSError:
            names = []
        for entry in names:
            full = os.path.join(self.recordings_dir, entry)
            if not os.path.isfile(full):
                continue
            st = os.stat(full)
            out.append(
                {
                    "name": entry,
                    "path": full,
                    "camera": entry.split("_", 1)[0],
                    "bytes": st.st_size,
                    "modified": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(st.st_mtime)),
                    "recording": full in active,
                }
            )
        return out

    # -- shutdown ---------------------------------------------------------------------------------------------

    def shutdown(self):
        """Recordings first (EOS), then the cameras; wait for every child, however long it takes."""
        if self.recordings:
            log("INFO:     stopping %d recording(s)" % len(self.recordings))
            self.stop_recording(list(self.recordings))
        cams = [c for c in self.cameras.values() if c.process and c.process.alive()]
        threads = [threading.Thread(target=c.process.stop_gracefully, args=(3.0, 3.0), daemon=True) for c in cams]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        while True:
            left = [c for c in cams if c.process.alive()]
            if not left:
                break
            log("WARNING:  waiting for %s to exit" % ", ".join("%s[%d]" % (c.name, c.process.pid) for c in left))
            for c in left:
                c.process.send(signal.SIGTERM)
            time.sleep(2.0)
