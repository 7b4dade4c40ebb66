#!/usr/bin/python3 -S
"""Run one unit's main process as systemd would hold it: every process it ever starts stays in this subtree.

Node (the device daemon, PID 1 of the device) cannot wait for processes it did not spawn itself, so orphans would
pile up as zombies under it. This tiny supervisor makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER):
orphans of the unit are re-parented here and reaped here, and the unit's process tree stays a tree rooted here,
which the daemon uses the way systemd uses a cgroup (stop = signal every process in it).

    supervise.py -- <argv…>

Status goes to fd 3, one JSON object per line: {"main": <pid>} after the fork, {"exit": <code>} or
{"signal": <number>} when the main process ends. The supervisor itself exits once it has no children left.
It ignores SIGTERM/SIGINT/SIGHUP: the daemon signals the unit's processes directly.
"""

import ctypes
import json
import os
import signal
import sys

PR_SET_CHILD_SUBREAPER = 36


def report(out, event):
    if out is None:
        return
    try:
        out.write(json.dumps(event) + "\n")
        out.flush()
    except OSError:
        pass


def main():
    argv = sys.argv[1:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        sys.stderr.write("usage: supervise.py -- <command> [args…]\n")
        return 2
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.stderr.write("supervise.py: prctl(PR_SET_CHILD_SUBREAPER) failed: %s\n" % os.strerror(ctypes.get_errno()))
    try:
        status = os.fdopen(3, "w")
    except OSError:
        status = None
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)

    pid = os.fork()
    if pid == 0:
        # Python ignores SIGPIPE and SIGXFSZ; a unit's processes must start with default dispositions.
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(sig, signal.SIG_DFL)
        if status is not None:
            os.close(3)
        try:
            os.execvp(argv[0], argv)
        except OSError as err:
            sys.stderr.write("Failed to execute %s: %s\n" % (argv[0], err.strerror))
            os._exit(203)  # systemd's EXIT_EXEC

    report(status, {"main": pid})
    while True:
        try:
            child, code = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if child != pid:
            continue
        if os.WIFSIGNALED(code):
            report(status, {"signal": os.WTERMSIG(code)})
        else:
            report(status, {"exit": os.WEXITSTATUS(code)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
