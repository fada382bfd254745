"""A real RTSP camera for tests: GStreamer's RTSP server streaming H.264 of a moving test pattern.

Run with Debian's /usr/bin/python3 (it has the `gi` bindings):
    /usr/bin/python3 rtsp-camera.py --port 8554 --width 1280 --height 720 --fps 15
Prints "READY rtsp://127.0.0.1:<port><path>" once it listens; exits cleanly on SIGTERM/SIGINT.

With --user and --password it asks for them (RTSP Basic auth, or Digest with --auth digest); with
--audio it also sends an audio stream (Opus), listed before the video, as many IP cameras do; with
--frames N it ends the stream (EOS) after N frames; with --codec h265 or mjpeg it sends H.265 or MJPEG; with
--resize-after N --resize WxH the picture changes size after N frames (a new SPS mid-stream); with
--session-timeout S its sessions say "timeout=S". It prints "REQUEST <METHOD>" for every RTSP
request a client sends.

With --stamped it is a measurable camera: the picture comes from stamped-frames.ts (run with
--bun), each frame stamped in its pixels with its seq and the ms it was made, and for each frame
the encoder hands on it prints "FRAME <seq> <stampedAt ms> <encodedAt ms>" (wall clock).
"""
import argparse
import collections
import os
import signal
import struct
import subprocess
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


class Resizer:
    """Changes the picture size after `after` frames: the encoder starts afresh with a new SPS."""

    def __init__(self, factory, after, width, height, fps):
        self.after = after
        self.caps = Gst.Caps.from_string(f"video/x-raw,format=I420,width={width},height={height},framerate={fps}/1")
        factory.connect("media-configure", self.on_media_configure)

    def on_media_configure(self, _factory, media):
        size = media.get_element().get_by_name("size")
        count = [0]

        def on_buffer(_pad, _info):
            count[0] += 1
            if count[0] == self.after:
                GLib.idle_add(lambda: size.set_property("caps", self.caps) and False)
            return Gst.PadProbeReturn.OK

        size.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, on_buffer)


def log_requests(server, session_timeout):
    """Prints each client request's method; gives each new session `session_timeout` seconds."""

    def on_client(_server, client):
        for signal_name, method in (("options-request", "OPTIONS"), ("describe-request", "DESCRIBE"), ("setup-request", "SETUP"),
                                    ("play-request", "PLAY"), ("get-parameter-request", "GET_PARAMETER"), ("teardown-request", "TEARDOWN")):
            client.connect(signal_name, lambda *_args, method=method: print(f"REQUEST {method}", flush=True))
        if session_timeout:
            client.connect("new-session", lambda _client, session: session.set_timeout(session_timeout))

    server.connect("client-connected", on_client)


class StampedFeed:
    """Reads stamped frames from stamped-frames.ts and pushes them into the media's appsrc."""

    HEADER = 16

    def __init__(self, args, factory):
        # I420: what x264 takes, so no colour conversion runs on the camera's side.
        self.frame_bytes = args.width * args.height * 3 // 2
        self.interval_ns = Gst.SECOND // args.fps
        self.lock = threading.Lock()
        self.appsrc = None
        self.by_pts = {}
        # Frames inside the encoder, oldest first: zerolatency x264 hands them on one by one, in
        # order (its output PTS is shifted, so the input PTS names a frame only on the way in).
        self.encoding = collections.deque(maxlen=64)
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stamped-frames.ts")
        command = [args.bun, script, "--width", str(args.width), "--height", str(args.height), "--fps", str(args.fps)]
        if args.video:
            command += ["--video", args.video]
        self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, bufsize=0)
        factory.connect("media-configure", self.on_media_configure)
        threading.Thread(target=self.read_frames, daemon=True).start()

    def stop(self):
        self.proc.kill()
        self.proc.wait()

    def on_media_configure(self, _factory, media):
        element = media.get_element()
        appsrc = element.get_by_name("src")
        encoder = element.get_by_name("enc")
        encoder.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, self.on_encoding)
        encoder.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self.on_encoded)
        media.connect("unprepared", self.on_unprepared, appsrc)
        with self.lock:
            self.appsrc = appsrc
            self.by_pts.clear()
            self.encoding.clear()

    def on_unprepared(self, _media, appsrc):
        # Only this media's own appsrc: the media of a viewer that just left can be unprepared after
        # the next viewer's media was configured, and must not leave that one without frames.
        with self.lock:
            if self.appsrc is appsrc:
                self.appsrc = None

    def on_encoding(self, _pad, info):
        with self.lock:
            self.encoding.append(self.by_pts.pop(info.get_buffer().pts, None))
        return Gst.PadProbeReturn.OK

    def on_encoded(self, _pad, _info):
        with self.lock:
            frame = self.encoding.popleft() if self.encoding else None
        if frame:
            print(f"FRAME {frame[0]} {frame[1]:.0f} {time.time() * 1000:.1f}", flush=True)
        return Gst.PadProbeReturn.OK

    def read_frames(self):
        stream = self.proc.stdout
        size = self.HEADER + self.frame_bytes
        while True:
            data = bytearray(size)
            view = memoryview(data)
            filled = 0
            while filled < size:
                n = stream.readinto(view[filled:])
                if not n:
                    print("stamped-frames.ts ended", file=sys.stderr, flush=True)
                    os.kill(os.getpid(), signal.SIGTERM)
                    return
                filled += n
            seq, stamped_at = struct.unpack_from("<Id", data, 0)
            with self.lock:
                appsrc = self.appsrc
                clock = appsrc.get_clock() if appsrc else None
                if not clock:
                    continue  # no viewer yet: the frame is dropped, as a live camera's would be
                # PTS = running time now; the encoder's output keeps it, which names the frame there.
                pts = clock.get_time() - appsrc.get_base_time()
                self.by_pts[pts] = (seq, stamped_at)
                if len(self.by_pts) > 64:
                    self.by_pts.pop(next(iter(self.by_pts)))
            buffer = Gst.Buffer.new_wrapped(bytes(view[self.HEADER:]))
            buffer.pts = pts
            buffer.duration = self.interval_ns
            appsrc.emit("push-buffer", buffer)


def require_auth(server, factory, user, password, method):
    """Only `user`:`password` may play the stream (Basic or Digest); anyone else gets 401 Unauthorized."""
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "viewer")
    if method == "digest":
        auth.add_digest(user, password, token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    else:
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    server.set_auth(auth)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role("viewer", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
    permissions.add_permission_for_role("viewer", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
    factory.set_permissions(permissions)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8554)
    parser.add_argument("--path", default="/stream")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=int, default=15)
    # "ball": a moving ball (small JPEGs); "snow": noise, for large frames that fill sockets fast.
    parser.add_argument("--pattern", default="ball", choices=["ball", "snow"])
    parser.add_argument("--stamped", action="store_true", help="stamped frames from stamped-frames.ts instead of videotestsrc")
    parser.add_argument("--bun", default="bun", help="the Bun that runs stamped-frames.ts")
    parser.add_argument("--video", help="with --stamped: a clip to show under the stamp (looped)")
    parser.add_argument("--user", help="with --password: the only credentials the camera accepts")
    parser.add_argument("--password")
    parser.add_argument("--audio", action="store_true", help="an Opus audio stream too, listed first")
    parser.add_argument("--frames", type=int, default=-1, help="end the stream (EOS) after this many frames")
    parser.add_argument("--auth", default="basic", choices=["basic", "digest"], help="with --user: how the camera asks for them")
    parser.add_argument("--codec", default="h264", choices=["h264", "h265", "mjpeg"])
    parser.add_argument("--resize-after", type=int, default=0, help="with --resize: change the picture size after this many frames")
    parser.add_argument("--resize", help="the size to change to, WxH")
    parser.add_argument("--session-timeout", type=int, default=0, help="the session timeout (s) sessions announce")
    args = parser.parse_args()
    if not args.path.startswith("/"):
        parser.error("--path must start with /")

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    bitrate = 8000 if args.pattern == "snow" else 4000 if args.video else 2000
    if args.stamped:
        source = (
            "appsrc name=src is-live=true format=time do-timestamp=false max-buffers=2 leaky-type=downstream "
            f"caps=video/x-raw,format=I420,width={args.width},height={args.height},framerate={args.fps}/1"
        )
    else:
        source = (
            f"videotestsrc is-live=true num-buffers={args.frames} pattern={args.pattern} motion=sweep background-color=0xff203040 "
            f"! capsfilter name=size caps=video/x-raw,format=I420,width={args.width},height={args.height},framerate={args.fps}/1"
        )
    # Audio first (pay0): a client that takes the first stream it is offered gets the wrong one.
    audio = "audiotestsrc is-live=true wave=silence ! opusenc ! rtpopuspay name=pay0 pt=97 " if args.audio else ""
    # A keyframe every second, so a reconnecting client shows a picture within a second.
    if args.codec == "mjpeg":
        encode = "jpegenc ! rtpjpegpay"
    elif args.codec == "h265":
        encode = f"x265enc name=enc tune=zerolatency speed-preset=ultrafast key-int-max={args.fps} bitrate={bitrate} ! rtph265pay config-interval=1"
    else:
        encode = f"x264enc name=enc tune=zerolatency speed-preset=ultrafast key-int-max={args.fps} bitrate={bitrate} ! rtph264pay config-interval=1"
    factory.set_launch(f"( {audio}{source} ! {encode} name=pay{1 if args.audio else 0} pt=96 )")
    # One encoder shared by every client: many viewers do not multiply the camera's work.
    factory.set_shared(True)
    if args.user:
        require_auth(server, factory, args.user, args.password or "", args.auth)
    if args.resize_after and args.resize:
        width, height = (int(n) for n in args.resize.split("x"))
        Resizer(factory, args.resize_after, width, height, args.fps)
    log_requests(server, args.session_timeout)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        sys.exit(1)

    feed = StampedFeed(args, factory) if args.stamped else None

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY rtsp://127.0.0.1:{args.port}{args.path}", flush=True)
    try:
        loop.run()
    finally:
        if feed:
            feed.stop()


if __name__ == "__main__":
    main()
