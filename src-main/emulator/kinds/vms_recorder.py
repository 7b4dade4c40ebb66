#!/usr/bin/python3 -S
"""vms-recorder on the emulated VMS host (seed 004), installed as /opt/vms/vms-recorder and its two backups.

One source file, three builds: the emulator writes it three times with BUILD set to
  "phase3"        /opt/vms/vms-recorder: one ffmpeg per camera with two outputs, recording (H.265 MP4 segments) and
                  live (H.264 RTSP) — seed 004's Phase 3;
  "phase1"        /opt/vms/vms-recorder.before-phase3: two ffmpeg per camera, one recording and one live (Phase 1);
  "broken-build"  /opt/vms/vms-recorder.broken-build: starts, logs, and records nothing.

Cameras and settings come from /etc/vms/cameras.json. The seed's cameras are Hikvision RTSP sources and its
encoders NVENC; here each camera is a lavfi test picture (tiny, to spare the machine) and libx265/libx264 encode.
A camera's ffmpeg that exits is started again after RESTART_DELAY_S, unless the camera is listed in
/run/tally-emu/faults/camera-kill-stay (the emulator's "kill and stay dead" fault), checked once a second.
"""

import json
import os
import signal
import subprocess
import sys
import time

BUILD = "phase3"
VERSIONS = {"phase3": "3.0.2", "phase1": "2.1.0", "broken-build": "3.1.0-dev+4f2a9c1"}
CONFIG = "/etc/vms/cameras.json"
STAY_FILE = "/run/tally-emu/faults/camera-kill-stay"
RESTART_DELAY_S = 2.0

stopping = False


def log(text):
    sys.stdout.write("%s\n" % text)
    sys.stdout.flush()


def staying_dead():
    try:
        with open(STAY_FILE) as fh:
            return {line.strip() for line in fh if line.strip()}
    except OSError:
        return set()


def source_args(cfg):
    video = cfg.get("video", {})
    size = "%dx%d" % (video.get("width", 320), video.get("height", 180))
    return ["-re", "-f", "lavfi", "-i", "testsrc2=size=%s:rate=%d" % (size, video.get("fps", 10))]


def recording_args(cfg, camera):
    fps = cfg.get("video", {}).get("fps", 10)
    pattern = os.path.join(cfg["recordings"], "%s_%%Y%%m%%d_%%H%%M%%S.mp4" % camera)
    return [
        "-map", "0:v", "-c:v", "libx265", "-preset", "ultrafast",
        "-x265-params", "log-level=error:pools=1:frame-threads=1", "-g", str(fps), "-tag:v", "hvc1",
        "-f", "segment", "-segment_time", str(cfg["segment_seconds"]), "-segment_format", "mp4",
        "-strftime", "1", "-reset_timestamps", "1", pattern,
    ]


def live_args(cfg, camera):
    fps = cfg.get("video", {}).get("fps", 10)
    return [
        "-map", "0:v", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-threads", "1",
        "-g", str(fps), "-b:v", "300k",
        "-f", "rtsp", "-rtsp_transport", "tcp", "%s/%s" % (cfg["live_base"].rstrip("/"), camera),
    ]


def jobs_for(cfg, camera):
    """(label, argv) for each ffmpeg this build runs for one camera."""
    head = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning"]
    if BUILD == "phase1":
        return [
            ("record", head + source_args(cfg) + recording_args(cfg, camera)),
            ("live", head + source_args(cfg) + live_args(cfg, camera)),
        ]
    return [("record+live", head + source_args(cfg) + recording_args(cfg, camera) + live_args(cfg, camera))]


class Job:
    def __init__(self, camera, label, argv):
        self.camera, self.label, self.argv = camera, label, argv
        self.proc = None
        self.restart_at = 0.0

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL)
        log("camera %s: %s ffmpeg started (pid %d)" % (self.camera, self.label, self.proc.pid))

    def poll(self, now, stay):
        if self.proc is not None:
            code = self.proc.poll()
            if code is None:
                return
            how = "killed by signal %d" % -code if code < 0 else "exited with code %d" % code
            log("camera %s: %s ffmpeg (pid %d) %s" % (self.camera, self.label, self.proc.pid, how))
            self.proc = None
            self.restart_at = now + RESTART_DELAY_S
            if self.camera in stay:
                log("camera %s: not restarting (held down)" % self.camera)
            return
        if self.camera in stay or now < self.restart_at:
            return
        log("camera %s: restarting %s ffmpeg" % (self.camera, self.label))
        self.start()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)


def on_term(*_):
    global stopping
    stopping = True


def main():
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    with open(CONFIG) as fh:
        cfg = json.load(fh)
    cameras = [c["name"] for c in cfg["cameras"]]
    log("vms-recorder %s starting (%s), %d cameras: %s" % (VERSIONS[BUILD], BUILD, len(cameras), ", ".join(cameras)))
    if BUILD == "broken-build":
        while not stopping:
            for camera in cameras:
                log("camera %s: NVENC session open failed (NV_ENC_ERR_INVALID_VERSION); recording disabled" % camera)
            for _ in range(100):
                if stopping:
                    break
                time.sleep(0.1)
        log("vms-recorder stopped")
        return 0
    os.makedirs(cfg["recordings"], exist_ok=True)
    jobs = [Job(camera, label, argv) for camera in cameras for label, argv in jobs_for(cfg, camera)]
    stay = staying_dead()
    for job in jobs:
        if job.camera in stay:
            log("camera %s: held down, not starting" % job.camera)
        else:
            job.start()
    while not stopping:
        time.sleep(0.25)
        now = time.monotonic()
        stay = staying_dead()
        for job in jobs:
            job.poll(now, stay)
    for job in jobs:
        job.stop()
    deadline = time.monotonic() + 5
    for job in jobs:
        while job.proc is not None and job.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if job.proc is not None and job.proc.poll() is None:
            job.proc.kill()
    log("vms-recorder stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
