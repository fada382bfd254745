"""Many RTSP cameras that cost almost nothing: one GStreamer RTSP server serving a pre-encoded H.264 clip, looped, on N mounts.

Run with Debian's /usr/bin/python3 (it has the `gi` bindings):
    /usr/bin/python3 rtsp-clips.py --port 8554 --count 16 --video people-720p.mp4
Prints "READY rtsp://127.0.0.1:<port>" once it listens; the cameras are /cam1 … /camN. Exits on SIGTERM/SIGINT.

The clip is demuxed and parsed once, at start, into access units in memory (SPS/PPS before every
keyframe); no camera decodes or encodes. One thread hands each playing mount its next access unit
at the clip's rate, timestamped on the clip's frame grid from the running time it started at (as a camera
stamps its frames, however late the thread runs), so the loop never goes back in time. Each
mount starts at another keyframe of the clip, so the cameras do not all show the same picture.

Known, measured under CPU load: when several mounts are first played at the same moment, GStreamer's RTSP
server (1.22) now and then (about one start in 30 with three at once) answers PLAY on one of them and never
sends it a packet: its appsrc fills and nothing drains it. A client that reconnects on a stall, as
cctv-server does, gets the camera on its next session; one client at a time never met it (135 sessions).
"""
import argparse
import signal
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstApp, GstRtspServer  # noqa: E402,F401


def read_access_units(video):
    """The clip's H.264 as (bytes, keyframe, pts - dts) per access unit, and its frame duration (ns)."""
    pipeline = Gst.parse_launch(
        f'filesrc location="{video}" ! qtdemux ! h264parse config-interval=-1 '
        "! video/x-h264,stream-format=byte-stream,alignment=au ! appsink name=sink sync=false"
    )
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    units = []
    duration = 0
    while True:
        sample = sink.try_pull_sample(10 * Gst.SECOND)
        if sample is None:
            break
        buffer = sample.get_buffer()
        data = buffer.extract_dup(0, buffer.get_size())
        keyframe = not buffer.has_flags(Gst.BufferFlags.DELTA_UNIT)
        reorder = buffer.pts - buffer.dts if buffer.dts != Gst.CLOCK_TIME_NONE and buffer.pts != Gst.CLOCK_TIME_NONE else 0
        units.append((data, keyframe, reorder))
        if buffer.duration != Gst.CLOCK_TIME_NONE:
            duration = buffer.duration
    pipeline.set_state(Gst.State.NULL)
    if not units or not any(keyframe for _, keyframe, _ in units):
        sys.exit(f"no H.264 keyframe in {video}")
    return units, duration or Gst.SECOND // 15


class Mount:
    """One camera: the appsrc of its media while someone plays it, where it is in the clip, and its timeline."""

    def __init__(self, start):
        self.start = start
        self.index = start
        self.appsrc = None
        # The running time of the first access unit pushed since the pipeline's base time was set, and how many
        # followed: timestamps on the clip's frame grid, as a camera stamps them, however late the feed thread runs.
        self.base_time = None
        self.first_dts = 0
        self.pushed = 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8554)
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--video", required=True, help="an MP4 with H.264 video")
    args = parser.parse_args()

    Gst.init(None)
    units, frame_ns = read_access_units(args.video)
    keyframes = [i for i, (_, keyframe, _) in enumerate(units) if keyframe]
    lock = threading.Lock()
    mounts = []

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    for n in range(args.count):
        mount = Mount(keyframes[n % len(keyframes)])
        mounts.append(mount)
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(
            "( appsrc name=src is-live=true format=time do-timestamp=false "
            "caps=video/x-h264,stream-format=byte-stream,alignment=au "
            "! rtph264pay name=pay0 pt=96 config-interval=-1 )"
        )
        factory.set_shared(True)

        def on_media_configure(_factory, media, mount=mount):
            appsrc = media.get_element().get_by_name("src")
            with lock:
                mount.appsrc = appsrc
                mount.index = mount.start
                mount.base_time = None

            def on_unprepared(_media):
                # Only this media's own appsrc: a media unprepared after its successor was configured
                # must not leave the mount without a source (its viewer would get no packet at all).
                with lock:
                    if mount.appsrc is appsrc:
                        mount.appsrc = None

            media.connect("unprepared", on_unprepared)

        factory.connect("media-configure", on_media_configure)
        server.get_mount_points().add_factory(f"/cam{n + 1}", factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        sys.exit(1)

    def feed():
        next_at = time.monotonic()
        while True:
            next_at += frame_ns / Gst.SECOND
            time.sleep(max(0.0, next_at - time.monotonic()))
            with lock:
                playing = [(mount, mount.appsrc) for mount in mounts if mount.appsrc is not None]
            for mount, appsrc in playing:
                clock = appsrc.get_clock()
                if clock is None:
                    continue  # not playing yet
                base_time = appsrc.get_base_time()
                with lock:
                    if mount.base_time != base_time:
                        mount.base_time = base_time
                        mount.first_dts = clock.get_time() - base_time
                        mount.pushed = 0
                    data, _, reorder = units[mount.index]
                    mount.index = (mount.index + 1) % len(units)
                    dts = mount.first_dts + mount.pushed * frame_ns
                    mount.pushed += 1
                buffer = Gst.Buffer.new_wrapped(data)
                buffer.dts = dts
                buffer.pts = buffer.dts + reorder
                buffer.duration = frame_ns
                appsrc.emit("push-buffer", buffer)

    threading.Thread(target=feed, daemon=True).start()

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY rtsp://127.0.0.1:{args.port}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
