#!/usr/bin/python3
"""A minimal RTSP server that takes rtspclientsink pushes (RECORD) on /cam0../cam15 and /mixer and throws the
media away. Test fixture for the recorder when the media-server stand-in is not running.

    /usr/bin/python3 rtsp_record_server.py PORT
Prints "ready PORT" when listening; logs each push as "record /camN".
"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main():
    port = sys.argv[1] if len(sys.argv) > 1 else "8554"
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    mounts = server.get_mount_points()
    for path in ["/cam%d" % i for i in range(16)] + ["/mixer"]:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_transport_mode(GstRtspServer.RTSPTransportMode.RECORD)
        factory.set_launch("( fakesink name=depay0 sync=false async=false )")
        factory.set_shared(False)
        factory.connect("media-configure", lambda _f, _m, p=path: print("record %s" % p, flush=True))
        mounts.add_factory(path, factory)
    server.attach(None)
    print("ready %s" % port, flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
