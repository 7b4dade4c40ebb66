"""Child gst-launch-1.0 processes of the recorder: start, follow their output, stop them like the real service."""

import os
import signal
import subprocess
import threading
import time


def log(message):
    """The service logs to stdout, which the unit's journal keeps."""
    print(message, flush=True)


def describe_exit(code):
    if code is None:
        return "running"
    if code < 0:
        try:
            return "killed by %s" % signal.Signals(-code).name
        except ValueError:
            return "killed by signal %d" % -code
    return "exit code %d" % code


class GstProcess:
    """One gst-launch-1.0 run. `playing` is set once it prints "Setting pipeline to PLAYING"."""

    def __init__(self, tag, launcher, args, on_exit=None):
        self.tag = tag
        self.argv = list(launcher) + list(args)
        self.on_exit = on_exit
        self.playing = threading.Event()
        self.exited = threading.Event()
        self.last_error = None
        self.started_at = time.time()
        log("INFO:     %s: starting: gst-launch-1.0 %s" % (tag, " ".join(args)))
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            env=dict(os.environ),
        )
        self.pid = self.proc.pid
        threading.Thread(target=self._follow, name="follow-%s" % tag, daemon=True).start()

    def _follow(self):
        for raw in self.proc.stdout:
            line = raw.rstrip("\n")
            if not line:
                continue
            if "Setting pipeline to PLAYING" in line:
                self.playing.set()
            if line.startswith("ERROR:") and self.last_error is None:
                self.last_error = line
            log("INFO:     %s[%d]: %s" % (self.tag, self.pid, line))
        code = self.proc.wait()
        level = "INFO:" if code == 0 else "ERROR:"
        log("%s%s[%d]: pipeline ended (%s)" % (level.ljust(10), self.tag, self.pid, describe_exit(code)))
        self.exited.set()
        if self.on_exit:
            self.on_exit(self, code)

    @property
    def returncode(self):
        return self.proc.poll()

    def alive(self):
        return self.proc.poll() is None

    def send(self, sig):
        if self.alive():
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout):
        return self.exited.wait(timeout)

    def stop_gracefully(self, eos_timeout=5.0, term_timeout=3.0):
        """SIGINT (EOS with -e, so files are finalised), then SIGTERM. Never SIGKILL: a wedged pipeline keeps the
        service stopping until the service manager's timeout kills the whole unit, as systemd would."""
        if not self.alive():
            return True
        self.send(signal.SIGINT)
        if self.wait(eos_timeout):
            return True
        log("WARNING:  %s[%d]: no EOS after %.0fs, sending SIGTERM" % (self.tag, self.pid, eos_timeout))
        self.send(signal.SIGTERM)
        return self.wait(term_timeout)
