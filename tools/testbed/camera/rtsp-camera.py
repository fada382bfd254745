"""A real RTSP camera for tests: GStreamer's RTSP server streaming H.264 of a moving test pattern.

Run with Debian's /usr/bin/python3 (it has the `gi` bindings):
    /usr/bin/python3 rtsp-camera.py --port 8554 --width 1280 --height 720 --fps 15
Prints "READY rtsp://127.0.0.1:<port><path>" once it listens; exits cleanly on SIGTERM/SIGINT.
"""
import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8554)
    parser.add_argument("--path", default="/stream")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=int, default=15)
    # "ball": a moving ball (small JPEGs); "snow": noise, for large frames that fill sockets fast.
    parser.add_argument("--pattern", default="ball", choices=["ball", "snow"])
    args = parser.parse_args()
    if not args.path.startswith("/"):
        parser.error("--path must start with /")

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    # A keyframe every second, so a reconnecting client shows a picture within a second.
    factory.set_launch(
        f"( videotestsrc is-live=true pattern={args.pattern} motion=sweep background-color=0xff203040 "
        f"! video/x-raw,width={args.width},height={args.height},framerate={args.fps}/1 "
        f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={args.fps} bitrate={8000 if args.pattern == 'snow' else 2000} "
        "! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    # One encoder shared by every client: many viewers do not multiply the camera's work.
    factory.set_shared(True)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        sys.exit(1)

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY rtsp://127.0.0.1:{args.port}{args.path}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
