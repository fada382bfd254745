// The dashboard's live video: ONE WebSocket (api/ws) for every camera on the page. Each camera
// plays in its own codec where this browser decodes it (H.264, and H.265 where supported:
// WebCodecs' VideoDecoder, lowest latency; else Media Source Extensions fed fragmented MP4), and
// as JPEG frames otherwise (the server falls back by itself for cameras without H.264). Boxes,
// labels with track ids, counting lines and zones are drawn on a canvas over the picture, each
// decoded frame with the detector result of its own media time (or the newest before it), so the
// boxes never lead the picture. The wire format is the README's "Remote viewing" section.
//
// URL flags: ?video=jpeg plays JPEG frames only; ?video=mse plays H.264 through MSE, not WebCodecs.
//
// Used by dashboard.js: const live = new LiveVideo(); const player = live.player(id, element,
// { fps, toggle }); player.active = true; live.update(); live.detections(update). A page that
// changes a camera's lines or zones says so with document.dispatchEvent(new CustomEvent('cctv:areas',
// { detail: { camera: id } })).
'use strict';

const VIDEO_FLAG = new URLSearchParams(location.search).get('video');
const MediaSourceClass = window.ManagedMediaSource ?? window.MediaSource;
/** What this browser can play the cameras' own video with. WebCodecs needs a secure context (https, or localhost). */
const PLAYBACK = {
  webCodecs: VIDEO_FLAG !== 'jpeg' && VIDEO_FLAG !== 'mse' && typeof window.VideoDecoder === 'function' && typeof window.EncodedVideoChunk === 'function',
  mediaSource: VIDEO_FLAG !== 'jpeg' && typeof MediaSourceClass === 'function' && MediaSourceClass.isTypeSupported?.('video/mp4; codecs="avc1.42E01E"') === true,
};
const PLAYS_VIDEO = PLAYBACK.webCodecs || PLAYBACK.mediaSource;
/** Message kinds (byte 0 of a binary message). */
const KIND = { jpeg: 1, videoConfig: 2, accessUnit: 3 };
/** The full view's choice between the camera's own video (auto) and JPEG frames, kept across visits. */
const FORMAT_KEY = 'cctv.video.format';

/** Whether this browser decodes H.265 (asked once; Chromium decodes it only with a hardware decoder). */
const decodesH265 = (async () => {
  if (!PLAYS_VIDEO) return false;
  const codec = 'hvc1.1.6.L93.B0';
  if (PLAYBACK.webCodecs) {
    try {
      if ((await VideoDecoder.isConfigSupported({ codec })).supported) return true;
    } catch {
      // Not a codec string this browser knows: no.
    }
  }
  return PLAYBACK.mediaSource && MediaSourceClass.isTypeSupported(`video/mp4; codecs="${codec}"`);
})();

// ---- The connection ----------------------------------------------------------------------

class LiveVideo {
  /** Every player on the page; a camera may have several (a grid tile and the full view), one of them active. */
  #players = new Set();
  #ws;
  #retry;
  #h265 = false;
  /** What the socket was last asked for, and which player each camera's messages go to. */
  #subscribed = '';
  #receivers = new Map();

  constructor() {
    void decodesH265.then((yes) => {
      this.#h265 = yes;
      this.update();
    });
    // Bitrates on the toggles, once a second.
    setInterval(() => {
      for (const player of this.#players) player.tick();
    }, 1000);
    // A camera's lines or zones changed (saved by the page's editor): drawn anew.
    document.addEventListener('cctv:areas', ({ detail }) => {
      for (const player of this.#players) if (player.id === detail?.camera) player.reloadAreas();
    });
  }

  /** A player of camera `id` in `element` (emptied and filled); inactive until `player.active = true` and `update()`. */
  player(id, element, options = {}) {
    const player = new CameraPlayer(id, element, options, this);
    this.#players.add(player);
    return player;
  }

  forget(player) {
    this.#players.delete(player);
    this.update();
  }

  /** Subscribes the active players' cameras (opening the socket when one is active). */
  update() {
    const cameras = {};
    const receivers = new Map();
    for (const player of this.#active()) {
      receivers.set(player.id, player);
      // fps caps JPEG frames, also those the server sends for a camera without H.264.
      cameras[player.id] = { ...(player.format === 'h264' ? { format: 'h264', ...(this.#h265 ? { h265: true } : {}) } : {}), ...(player.fps ? { fps: player.fps } : {}) };
    }
    if (!this.#ws && receivers.size) this.#connect();
    if (this.#ws?.readyState !== WebSocket.OPEN) return;
    // A camera whose messages go to another player now (a tile opened full size) starts afresh
    // for it: unsubscribed and subscribed again, the server sends its configuration and the units
    // from the last keyframe on.
    const moved = [...receivers].filter(([id, player]) => this.#receivers.has(id) && this.#receivers.get(id) !== player).map(([id]) => id);
    if (moved.length) this.#send(Object.fromEntries(Object.entries(cameras).filter(([id]) => !moved.includes(id))));
    this.#receivers = receivers;
    this.#send(cameras);
  }

  #send(cameras) {
    const message = JSON.stringify({ type: 'subscribe', cameras });
    if (message === this.#subscribed) return;
    this.#subscribed = message;
    this.#ws.send(message);
  }

  /** A detections_update: to its camera's players. */
  detections(update) {
    for (const player of this.#players) if (player.id === update.camera) player.detections(update);
  }

  /** The active player of each camera, the last one made where several are. */
  #active() {
    const byCamera = new Map();
    for (const player of this.#players) if (player.active) byCamera.set(player.id, player);
    return byCamera.values();
  }

  #connect() {
    clearTimeout(this.#retry);
    const url = new URL('api/ws', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    this.#ws = ws;
    ws.onopen = () => this.update();
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') this.#receive(event.data);
    };
    ws.onclose = () => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      this.#subscribed = '';
      this.#receivers = new Map();
      for (const player of this.#players) player.disconnected();
      this.#retry = setTimeout(() => this.update(), 2000);
    };
  }

  #receive(buffer) {
    const bytes = new Uint8Array(buffer);
    const view = new DataView(buffer);
    const idLength = bytes[1];
    const id = new TextDecoder().decode(bytes.subarray(2, 2 + idLength));
    const player = this.#receivers.get(id);
    if (!player) return;
    player.received(bytes.byteLength);
    const at = 2 + idLength;
    switch (bytes[0]) {
      case KIND.jpeg:
        player.jpeg(new Blob([bytes.subarray(at + 12)], { type: 'image/jpeg' }));
        break;
      case KIND.videoConfig: {
        const codecLength = bytes[at];
        player.configure({
          codec: new TextDecoder().decode(bytes.subarray(at + 1, at + 1 + codecLength)),
          width: view.getUint16(at + 1 + codecLength),
          height: view.getUint16(at + 3 + codecLength),
          description: bytes.slice(at + 5 + codecLength),
        });
        break;
      }
      case KIND.accessUnit:
        player.unit({
          seq: view.getUint32(at),
          keyframe: (bytes[at + 4] & 1) === 1,
          mediaTime: view.getFloat64(at + 5),
          capturedAt: view.getFloat64(at + 13),
          data: bytes.subarray(at + 21),
        });
        break;
    }
  }
}

// ---- One camera ---------------------------------------------------------------------------

class CameraPlayer {
  /** Subscribed (on screen and wanted); set by the page, then `live.update()`. */
  active = false;
  #live;
  #element;
  #canvas;
  #video;
  #overlay;
  #toggle;
  /** What shows the picture now: 'webcodecs', 'mse', 'jpeg', or undefined before the first frame. */
  #mode;
  /** The camera's own video: the configuration in force, its decoder, and units waiting for it. */
  #config;
  #decoder;
  #pending = [];
  /** This camera's codec cannot be played here: JPEG frames instead. */
  #jpegOnly = false;
  /** Decoder failures in this configuration: past a few, this camera plays as JPEG frames. */
  #failures = 0;
  #preferJpeg = false;
  #decoding = false;
  #nextJpeg;
  #width = 0;
  #height = 0;
  #frames = 0;
  #received = [];
  #overlayPainter;

  constructor(id, element, options, live) {
    this.id = id;
    this.fps = options.fps;
    this.#live = live;
    this.#element = element;
    element.classList.add('player');
    element.innerHTML = '<canvas class="picture"></canvas><video class="picture" muted playsinline hidden></video><canvas class="overlay"></canvas>';
    this.#canvas = element.querySelector('canvas.picture');
    this.#video = element.querySelector('video');
    this.#overlay = new OverlayPainter(element.querySelector('canvas.overlay'), id);
    if (options.toggle) {
      this.#preferJpeg = localStorage.getItem(FORMAT_KEY) === 'jpeg';
      this.#toggle = document.createElement('button');
      this.#toggle.type = 'button';
      this.#toggle.className = 'player-toggle';
      this.#toggle.title = "The camera's own video (decoded here, boxes drawn here) or JPEG frames (boxes drawn by the server)";
      this.#toggle.addEventListener('click', (event) => {
        event.stopPropagation();
        this.#preferJpeg = !this.#preferJpeg;
        localStorage.setItem(FORMAT_KEY, this.#preferJpeg ? 'jpeg' : 'auto');
        this.#live.update();
        this.tick();
      });
      element.append(this.#toggle);
    }
    element.dataset.frames = '0';
    void this.#overlay.loadAreas();
  }

  /** What to ask the server for: the camera's own video where this browser plays it, else JPEG frames. */
  get format() {
    return PLAYS_VIDEO && !this.#jpegOnly && !this.#preferJpeg ? 'h264' : 'jpeg';
  }

  destroy() {
    this.active = false;
    this.#stopVideo();
    this.#element.replaceChildren();
    this.#live.forget(this);
  }

  /** The socket closed: a new one starts with a new configuration. */
  disconnected() {
    this.#stopVideo();
  }

  received(bytes) {
    this.#received.push([performance.now(), bytes]);
  }

  /** Once a second: the toggle's text (what plays, at what bitrate over the last 2 s). */
  tick() {
    const now = performance.now();
    while (this.#received.length && this.#received[0][0] < now - 2000) this.#received.shift();
    if (!this.#toggle) return;
    const bits = this.#received.reduce((sum, [, bytes]) => sum + bytes, 0) * 4;
    const rate = bits >= 1e6 ? (bits / 1e6).toFixed(1) + ' Mbit/s' : Math.round(bits / 1e3) + ' kbit/s';
    const playing = this.#mode === 'webcodecs' ? 'H.264 · WebCodecs' : this.#mode === 'mse' ? 'H.264 · MSE' : this.#mode === 'jpeg' ? 'JPEG' : '…';
    const codec = this.#config?.codec.startsWith('hvc1') || this.#config?.codec.startsWith('hev1') ? playing.replace('H.264', 'H.265') : playing;
    this.#toggle.textContent = codec + ' · ' + rate;
    this.#toggle.dataset.format = this.#preferJpeg ? 'jpeg' : 'auto';
  }

  reloadAreas() {
    void this.#overlay.loadAreas();
  }

  detections(update) {
    this.#overlay.addResult(update);
    if (this.#mode === 'webcodecs' || this.#mode === 'mse') this.#overlay.draw();
  }

  // ---- JPEG frames (boxes drawn in by the server) ----

  jpeg(blob) {
    if (this.#mode !== 'jpeg') {
      this.#stopVideo();
      this.#setMode('jpeg');
    }
    // One decode at a time; a frame that comes meanwhile replaces the one waiting.
    if (this.#decoding) {
      this.#nextJpeg = blob;
      return;
    }
    void this.#drawJpeg(blob);
  }

  async #drawJpeg(blob) {
    this.#decoding = true;
    try {
      const bitmap = await createImageBitmap(blob);
      if (this.#mode === 'jpeg') {
        this.#setSize(bitmap.width, bitmap.height);
        this.#canvas.getContext('2d').drawImage(bitmap, 0, 0);
        this.#shown();
      }
      bitmap.close();
    } catch {
      // A broken frame: the next one draws.
    } finally {
      this.#decoding = false;
    }
    const next = this.#nextJpeg;
    this.#nextJpeg = undefined;
    if (next) void this.#drawJpeg(next);
  }

  // ---- The camera's own video ----

  /** A new configuration: the decoder is set up afresh; the units that follow wait until it is. */
  configure(config) {
    this.#stopVideo();
    this.#config = config;
    this.#failures = 0;
    this.#overlay.newSession();
    void this.#overlay.loadAreas();
    void this.#startDecoder(config);
  }

  unit(unit) {
    if (!this.#config) return;
    if (this.#decoder) this.#decoder.decode(unit);
    else this.#pending.push(unit);
  }

  async #startDecoder(config) {
    const decoder =
      (PLAYBACK.webCodecs && (await WebCodecsDecoder.open(config, this.#canvas, (mediaTime, width, height) => this.#videoShown('webcodecs', mediaTime, width, height), () => this.#videoFailed(config)))) ||
      (PLAYBACK.mediaSource && MseDecoder.open(config, this.#video, (mediaTime) => this.#videoShown('mse', mediaTime, config.width, config.height), () => this.#videoFailed(config)));
    if (this.#config !== config) {
      decoder?.close();
      return;
    }
    if (!decoder) {
      // Not a codec this browser plays (an H.265 camera, mostly): JPEG frames from the server instead.
      this.#jpegOnly = true;
      this.#stopVideo();
      this.#live.update();
      return;
    }
    this.#decoder = decoder;
    for (const unit of this.#pending) decoder.decode(unit);
    this.#pending = [];
  }

  /** The decoder gave up on this stream (a corrupt unit): start again at the next keyframe, with the same configuration; the third time, JPEG frames. */
  #videoFailed(config) {
    if (this.#config !== config) return;
    this.#decoder?.close();
    this.#decoder = undefined;
    if (++this.#failures >= 3) {
      this.#jpegOnly = true;
      this.#stopVideo();
      this.#live.update();
      return;
    }
    void this.#startDecoder(config);
  }

  #videoShown(mode, mediaTime, width, height) {
    if (this.#mode !== mode) this.#setMode(mode);
    this.#setSize(width, height);
    this.#element.dataset.mediaTime = String(mediaTime);
    this.#overlay.draw(mediaTime);
    this.#shown();
  }

  #stopVideo() {
    this.#decoder?.close();
    this.#decoder = undefined;
    this.#config = undefined;
    this.#pending = [];
  }

  // ---- Either ----

  #setMode(mode) {
    this.#mode = mode;
    this.#element.dataset.mode = mode;
    this.#video.hidden = mode !== 'mse';
    this.#canvas.hidden = mode === 'mse';
    // JPEG frames carry the server's drawing; the camera's own video gets ours.
    this.#overlay.enabled = mode !== 'jpeg';
    this.tick();
  }

  #setSize(width, height) {
    if (width === this.#width && height === this.#height) return;
    this.#width = width;
    this.#height = height;
    // Setting a canvas's size clears it: only when it differs (the decoder may have sized it already).
    if (this.#mode !== 'mse' && (this.#canvas.width !== width || this.#canvas.height !== height)) {
      this.#canvas.width = width;
      this.#canvas.height = height;
    }
    this.#overlay.resize(width, height);
    this.#element.style.setProperty('--aspect', width + ' / ' + height);
  }

  #shown() {
    this.#frames++;
    this.#element.dataset.frames = String(this.#frames);
  }
}

// ---- WebCodecs ----------------------------------------------------------------------------

class WebCodecsDecoder {
  #decoder;
  #config;
  #waitForKeyframe = true;
  #lengthBytes;

  /** A decoder for `config` drawing into `canvas`, or undefined when this browser does not decode it. */
  static async open(config, canvas, onShown, onFailed) {
    const decoderConfig = { codec: config.codec, codedWidth: config.width, codedHeight: config.height, description: config.description, optimizeForLatency: true };
    try {
      if (!(await VideoDecoder.isConfigSupported(decoderConfig)).supported) return undefined;
    } catch {
      return undefined;
    }
    return new WebCodecsDecoder(decoderConfig, config, canvas, onShown, onFailed);
  }

  constructor(decoderConfig, config, canvas, onShown, onFailed) {
    this.#config = decoderConfig;
    this.#lengthBytes = nalLengthBytes(config);
    const context = canvas.getContext('2d');
    this.#decoder = new VideoDecoder({
      output: (frame) => {
        const { displayWidth: width, displayHeight: height } = frame;
        if (canvas.width !== width || canvas.height !== height) {
          canvas.width = width;
          canvas.height = height;
        }
        context.drawImage(frame, 0, 0, width, height);
        // Chunk timestamps are µs of media time.
        const mediaTime = frame.timestamp / 1000;
        frame.close();
        onShown(mediaTime, width, height);
      },
      error: () => onFailed(),
    });
    this.#decoder.configure(decoderConfig);
  }

  decode(unit) {
    if (this.#decoder.state !== 'configured') return;
    // A decoder that falls behind (a slow device) skips to the next keyframe instead of queueing.
    if (unit.keyframe && this.#decoder.decodeQueueSize > 15) this.#waitForKeyframe = true;
    if (this.#waitForKeyframe && !unit.keyframe) return;
    if (unit.keyframe && this.#waitForKeyframe && this.#decoder.decodeQueueSize > 0) {
      this.#decoder.reset();
      this.#decoder.configure(this.#config);
    }
    this.#waitForKeyframe = false;
    this.#decoder.decode(new EncodedVideoChunk({ type: unit.keyframe ? 'key' : 'delta', timestamp: Math.round(unit.mediaTime * 1000), data: lengthPrefixed(unit.data, this.#lengthBytes) }));
  }

  close() {
    if (this.#decoder.state !== 'closed') this.#decoder.close();
  }
}

// ---- MSE: fragmented MP4 ------------------------------------------------------------------

/** Media time units of the MP4 track: 90 kHz, the RTP video clock. */
const TIMESCALE = 90_000;

class MseDecoder {
  #video;
  #source;
  #buffer;
  #appends = [];
  #lengthBytes;
  #sequence = 0;
  #lastDts;
  /** The most a unit's presentation time was seen behind an earlier unit's (B-frames), in ticks. */
  #reorder = 0;
  #maxPts = -Infinity;
  #recentPts = [];
  #frameTicks = TIMESCALE / 15;
  #closed = false;
  #url;
  #onShown;

  /** A MediaSource for `config` playing in `video`, or undefined when this browser does not play it. */
  static open(config, video, onShown, onFailed) {
    const type = `video/mp4; codecs="${config.codec}"`;
    if (!MediaSourceClass.isTypeSupported(type)) return undefined;
    return new MseDecoder(config, type, video, onShown, onFailed);
  }

  constructor(config, type, video, onShown, onFailed) {
    this.#video = video;
    this.#onShown = onShown;
    this.#lengthBytes = nalLengthBytes(config);
    this.#source = new MediaSourceClass();
    this.#url = URL.createObjectURL(this.#source);
    // Safari's ManagedMediaSource plays only with remote playback off.
    video.disableRemotePlayback = true;
    video.src = this.#url;
    this.#source.addEventListener('sourceopen', () => {
      if (this.#closed) return;
      this.#buffer = this.#source.addSourceBuffer(type);
      this.#buffer.mode = 'segments';
      this.#buffer.addEventListener('updateend', () => this.#next());
      this.#buffer.addEventListener('error', () => onFailed());
      this.#appends.unshift(mp4Init(config));
      this.#next();
    }, { once: true });
    this.#watchFrames();
  }

  decode(unit) {
    const pts = Math.round(unit.mediaTime * (TIMESCALE / 1000));
    if (pts < this.#maxPts) this.#reorder = Math.max(this.#reorder, this.#maxPts - pts);
    this.#maxPts = Math.max(this.#maxPts, pts);
    this.#learnFrameTicks(pts);
    // RTP carries presentation times only. Decoding times step one frame per unit (Chrome takes a
    // step of over two frame durations for a gap and drops what follows up to the next keyframe),
    // and a keyframe catches them up with the presentation times, less the reordering seen
    // (B-frames), where they fell behind (units skipped, a frame rate that changed).
    const dts =
      this.#lastDts === undefined ? pts - this.#reorder
      : unit.keyframe ? Math.max(this.#lastDts + this.#frameTicks, pts - this.#reorder)
      : this.#lastDts + this.#frameTicks;
    this.#lastDts = dts;
    this.#appends.push(mp4Fragment(++this.#sequence, { dts, cto: pts - dts, duration: this.#frameTicks, keyframe: unit.keyframe, data: lengthPrefixed(unit.data, this.#lengthBytes) }));
    this.#next();
  }

  /** The frame interval: the smallest step between the recent presentation times. */
  #learnFrameTicks(pts) {
    this.#recentPts.push(pts);
    if (this.#recentPts.length > 16) this.#recentPts.shift();
    const sorted = [...this.#recentPts].sort((a, b) => a - b);
    let step = Infinity;
    for (let i = 1; i < sorted.length; i++) if (sorted[i] > sorted[i - 1]) step = Math.min(step, sorted[i] - sorted[i - 1]);
    if (Number.isFinite(step)) this.#frameTicks = step;
  }

  #next() {
    const buffer = this.#buffer;
    if (!buffer || buffer.updating || this.#closed) return;
    this.#keepLive();
    const next = this.#appends.shift();
    if (!next) return;
    try {
      buffer.appendBuffer(next);
    } catch {
      // QuotaExceeded: the trimming below makes room; this fragment is lost, the decoder recovers at a keyframe.
    }
  }

  /** Stays at the live edge: plays, catches up when behind, and drops what was shown long ago. */
  #keepLive() {
    const video = this.#video;
    const ranges = this.#buffer.buffered;
    if (!ranges.length) return;
    const end = ranges.end(ranges.length - 1);
    if (video.paused) void video.play().catch(() => {});
    // The newest frame starts one frame before the end. Played up to it, the element waits at the
    // end for the next one and shows it as it comes (measured p50 without this: ~320 ms behind).
    const frame = this.#frameTicks / TIMESCALE;
    const behind = end - frame - video.currentTime;
    if (behind > 0.5 || video.currentTime < ranges.start(0)) video.currentTime = Math.max(ranges.start(ranges.length - 1), end - frame);
    else video.playbackRate = behind > 0.1 ? 1.25 : 1;
    if (ranges.start(0) < video.currentTime - 20 && !this.#buffer.updating) this.#buffer.remove(0, video.currentTime - 10);
  }

  /** Each frame the video element shows: its media time (ms). */
  #watchFrames() {
    const video = this.#video;
    if (typeof video.requestVideoFrameCallback === 'function') {
      const onFrame = (_now, metadata) => {
        if (this.#closed) return;
        this.#onShown(metadata.mediaTime * 1000);
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
      return;
    }
    let last;
    const onAnimationFrame = () => {
      if (this.#closed) return;
      if (video.currentTime !== last) this.#onShown((last = video.currentTime) * 1000);
      requestAnimationFrame(onAnimationFrame);
    };
    requestAnimationFrame(onAnimationFrame);
  }

  close() {
    this.#closed = true;
    this.#video.removeAttribute('src');
    this.#video.load();
    URL.revokeObjectURL(this.#url);
  }
}

/** Concatenated bytes. */
function concat(parts) {
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

/** Big-endian unsigned integers of the given byte widths, e.g. u(4, x, 2, y). */
function u(...pairs) {
  const bytes = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const [size, value] = [pairs[i], pairs[i + 1]];
    for (let b = size - 1; b >= 0; b--) bytes.push(Number((BigInt(Math.round(value)) >> BigInt(8 * b)) & 0xffn));
  }
  return Uint8Array.from(bytes);
}

/** An ISO BMFF box. */
function box(type, ...payload) {
  const body = concat(payload);
  return concat([u(4, 8 + body.length), new TextEncoder().encode(type), body]);
}

/** A full box: version and flags, then the payload. */
function fullBox(type, version, flags, ...payload) {
  return box(type, u(1, version, 3, flags), ...payload);
}

const MATRIX = u(4, 0x10000, 4, 0, 4, 0, 4, 0, 4, 0x10000, 4, 0, 4, 0, 4, 0, 4, 0x40000000);

/** The initialisation segment: one video track, its sample entry holding the avcC/hvcC record. */
function mp4Init(config) {
  const hevc = config.codec.startsWith('hvc1') || config.codec.startsWith('hev1');
  const { width, height } = config;
  const sampleEntry = box(
    hevc ? 'hvc1' : 'avc1',
    u(6, 0, 2, 1), // reserved, data_reference_index
    u(2, 0, 2, 0, 4, 0, 4, 0, 4, 0), // pre_defined, reserved, pre_defined[3]
    u(2, width, 2, height, 4, 0x480000, 4, 0x480000, 4, 0, 2, 1),
    new Uint8Array(32), // compressorname
    u(2, 0x18, 2, 0xffff), // depth, pre_defined = -1
    box(hevc ? 'hvcC' : 'avcC', config.description),
  );
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u(4, 1), sampleEntry),
    fullBox('stts', 0, 0, u(4, 0)),
    fullBox('stsc', 0, 0, u(4, 0)),
    fullBox('stsz', 0, 0, u(4, 0, 4, 0)),
    fullBox('stco', 0, 0, u(4, 0)),
  );
  const minf = box('minf', fullBox('vmhd', 0, 1, u(2, 0, 2, 0, 2, 0, 2, 0)), box('dinf', fullBox('dref', 0, 0, u(4, 1), fullBox('url ', 0, 1))), stbl);
  const mdia = box(
    'mdia',
    fullBox('mdhd', 0, 0, u(4, 0, 4, 0, 4, TIMESCALE, 4, 0, 2, 0x55c4, 2, 0)),
    fullBox('hdlr', 0, 0, u(4, 0), new TextEncoder().encode('vide'), u(4, 0, 4, 0, 4, 0), new TextEncoder().encode('video\0')),
    minf,
  );
  const tkhd = fullBox('tkhd', 0, 3, u(4, 0, 4, 0, 4, 1, 4, 0, 4, 0, 4, 0, 4, 0, 2, 0, 2, 0, 2, 0, 2, 0), MATRIX, u(4, width * 0x10000, 4, height * 0x10000));
  const mvhd = fullBox('mvhd', 0, 0, u(4, 0, 4, 0, 4, 1000, 4, 0, 4, 0x10000, 2, 0x100, 2, 0, 4, 0, 4, 0), MATRIX, new Uint8Array(24), u(4, 2));
  const mvex = box('mvex', fullBox('trex', 0, 0, u(4, 1, 4, 1, 4, 0, 4, 0, 4, 0)));
  const ftyp = box('ftyp', new TextEncoder().encode('isom'), u(4, 0x200), new TextEncoder().encode('isomiso6mp41'));
  return concat([ftyp, box('moov', mvhd, box('trak', tkhd, mdia), mvex)]);
}

/** One sample as a movie fragment: moof (decode time, duration, size, flags, composition offset) + mdat. */
function mp4Fragment(sequence, sample) {
  // Sample flags: a keyframe depends on nothing; any other depends on others and is not a sync sample.
  const flags = sample.keyframe ? 0x02000000 : 0x01010000;
  const trun = (dataOffset) => fullBox('trun', 1, 0x000f01, u(4, 1, 4, dataOffset, 4, sample.duration, 4, sample.data.length, 4, flags), int32(sample.cto));
  const traf = (dataOffset) => box('traf', fullBox('tfhd', 0, 0x020000, u(4, 1)), fullBox('tfdt', 1, 0, u(8, sample.dts)), trun(dataOffset));
  const moofOf = (dataOffset) => box('moof', fullBox('mfhd', 0, 0, u(4, sequence)), traf(dataOffset));
  const size = moofOf(0).length;
  return concat([moofOf(size + 8), box('mdat', sample.data)]);
}

function int32(value) {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, value);
  return bytes;
}

// ---- H.264/H.265 bytes --------------------------------------------------------------------

/** Bytes of each NAL unit's length prefix the avcC/hvcC record announces (lengthSizeMinusOne + 1). */
function nalLengthBytes(config) {
  const hevc = config.codec.startsWith('hvc1') || config.codec.startsWith('hev1');
  return ((hevc ? config.description[21] : config.description[4]) & 3) + 1;
}

/** Annex-B (start codes) to the length-prefixed NAL units that MP4 and WebCodecs with a description expect. */
function lengthPrefixed(annexB, lengthBytes) {
  const nals = [];
  let start = -1;
  for (let i = 0; i + 2 < annexB.length; i++) {
    if (annexB[i] !== 0 || annexB[i + 1] !== 0 || annexB[i + 2] !== 1) continue;
    if (start >= 0) nals.push(trimZeros(annexB, start, i));
    start = i + 3;
    i += 2;
  }
  if (start >= 0) nals.push(trimZeros(annexB, start, annexB.length));
  const out = new Uint8Array(nals.reduce((sum, nal) => sum + lengthBytes + nal.length, 0));
  let at = 0;
  for (const nal of nals) {
    for (let b = lengthBytes - 1; b >= 0; b--) out[at++] = (nal.length >> (8 * b)) & 0xff;
    out.set(nal, at);
    at += nal.length;
  }
  return out;
}

/** A NAL unit without the zero bytes before the next start code (a 4-byte start code's first, or trailing_zero_8bits). */
function trimZeros(bytes, start, end) {
  while (end > start && bytes[end - 1] === 0) end--;
  return bytes.subarray(start, end);
}

// ---- What is drawn over the picture -------------------------------------------------------

/** Ultralytics' 20-colour palette, as the server draws into JPEGs: the same class, the same colour. */
const PALETTE = ['#ff3838', '#ff9d97', '#ff701f', '#ffb21d', '#cfd231', '#48f90a', '#92cc17', '#3ddb86', '#1a9334', '#00d4bb', '#2c99a8', '#00c2ff', '#344593', '#6473ff', '#0018ec', '#8438ff', '#520085', '#cb38ff', '#ff95c8', '#ff37c7'];
const LINE_COLOUR = '#ffd400';
const ZONE_COLOUR = '#00c2ff';
/** Detector results kept per camera: a few seconds of them, for frames the browser shows late. */
const RESULTS_KEPT = 64;
/** A result older than this (media time) than the frame shown is not drawn: detection stopped, or lags too far. */
const STALE_MS = 3000;

class OverlayPainter {
  enabled = false;
  #canvas;
  #cameraId;
  /** Results with a media time, oldest first. */
  #results = [];
  #areas;
  #shownMediaTime;
  #drawn;

  constructor(canvas, cameraId) {
    this.#canvas = canvas;
    this.#cameraId = cameraId;
  }

  resize(width, height) {
    this.#canvas.width = width;
    this.#canvas.height = height;
    this.#drawn = undefined;
    this.draw(this.#shownMediaTime);
  }

  /** A new session of the camera's video: media time starts again, so the results of the last one go. */
  newSession() {
    this.#results = [];
    this.#shownMediaTime = undefined;
  }

  /** The camera's counting lines and zones, when the server has the route (else none). */
  async loadAreas() {
    try {
      const response = await fetch('api/cameras/' + encodeURIComponent(this.#cameraId) + '/areas', { cache: 'no-store' });
      this.#areas = response.ok ? await response.json() : undefined;
    } catch {
      this.#areas = undefined;
    }
    this.#drawn = undefined;
    this.draw(this.#shownMediaTime);
  }

  addResult(update) {
    if (typeof update.media_time !== 'number') return;
    let at = this.#results.length;
    while (at > 0 && this.#results[at - 1].media_time > update.media_time) at--;
    this.#results.splice(at, 0, update);
    if (this.#results.length > RESULTS_KEPT) this.#results.shift();
  }

  /** The result whose frame is this one, else the newest before it; never one from a later frame. */
  #resultFor(mediaTime) {
    for (let i = this.#results.length - 1; i >= 0; i--) {
      const result = this.#results[i];
      if (result.media_time <= mediaTime + 0.5) return mediaTime - result.media_time <= STALE_MS ? result : undefined;
    }
    return undefined;
  }

  /** Draws what belongs to the frame of `mediaTime` (the one shown when omitted); nothing while disabled. */
  draw(mediaTime = this.#shownMediaTime) {
    this.#shownMediaTime = mediaTime;
    const result = this.enabled && mediaTime !== undefined ? this.#resultFor(mediaTime) : undefined;
    const key = this.enabled ? [result, this.#areas] : [];
    if (this.#drawn && this.#drawn[0] === key[0] && this.#drawn[1] === key[1] && this.#drawn.length === key.length) return;
    this.#drawn = key;
    const context = this.#canvas.getContext('2d');
    context.clearRect(0, 0, this.#canvas.width, this.#canvas.height);
    if (!this.enabled) return;
    const scale = Math.max(1, this.#canvas.height / 720);
    if (this.#areas) this.#drawAreas(context, this.#areas, scale);
    if (result) this.#drawBoxes(context, result, scale);
  }

  #drawAreas(context, areas, scale) {
    context.lineWidth = 3 * scale;
    context.font = `600 ${Math.round(18 * scale)}px system-ui, sans-serif`;
    for (const zone of areas.zones ?? []) {
      if (!zone.points?.length) continue;
      context.beginPath();
      zone.points.forEach(([x, y], i) => (i ? context.lineTo(x, y) : context.moveTo(x, y)));
      context.closePath();
      context.fillStyle = 'rgb(0 194 255 / 0.12)';
      context.fill();
      context.strokeStyle = ZONE_COLOUR;
      context.stroke();
      label(context, zone.name, zone.points[0][0], zone.points[0][1], ZONE_COLOUR, scale);
    }
    for (const line of areas.lines ?? []) {
      const [[x1, y1], [x2, y2]] = [line.from, line.to];
      context.strokeStyle = LINE_COLOUR;
      context.beginPath();
      context.moveTo(x1, y1);
      context.lineTo(x2, y2);
      context.stroke();
      // "in" is crossing from the side where (to − from) × (p − from) > 0 to the other: the arrow
      // points along (dy, −dx), the normal towards the negative side (image coordinates, y down).
      const [dx, dy] = [x2 - x1, y2 - y1];
      const length = Math.hypot(dx, dy) || 1;
      const [nx, ny] = [dy / length, -dx / length];
      const [mx, my] = [(x1 + x2) / 2, (y1 + y2) / 2];
      const arrow = 28 * scale;
      const [tx, ty] = [mx + nx * arrow, my + ny * arrow];
      context.beginPath();
      context.moveTo(mx - nx * arrow, my - ny * arrow);
      context.lineTo(tx, ty);
      context.moveTo(tx - nx * 10 * scale + ny * 8 * scale, ty - ny * 10 * scale - nx * 8 * scale);
      context.lineTo(tx, ty);
      context.lineTo(tx - nx * 10 * scale - ny * 8 * scale, ty - ny * 10 * scale + nx * 8 * scale);
      context.stroke();
      label(context, line.name + ' → in', tx, ty, LINE_COLOUR, scale);
    }
  }

  #drawBoxes(context, result, scale) {
    // Boxes come in the analysed frame's pixels; the picture may have changed size since.
    const sx = result.width ? this.#canvas.width / result.width : 1;
    const sy = result.height ? this.#canvas.height / result.height : 1;
    context.lineWidth = Math.max(2, Math.round(this.#canvas.height / 240));
    context.font = `600 ${Math.round(16 * scale)}px system-ui, sans-serif`;
    for (const detection of result.detections) {
      const colour = PALETTE[((detection.class_id % PALETTE.length) + PALETTE.length) % PALETTE.length];
      const { x1, y1, x2, y2 } = detection.box;
      context.strokeStyle = colour;
      context.strokeRect(x1 * sx, y1 * sy, (x2 - x1) * sx, (y2 - y1) * sy);
      const text = detection.class_name + (detection.track_id ? ' #' + detection.track_id : '') + ' ' + detection.confidence.toFixed(2);
      label(context, text, x1 * sx, y1 * sy, colour, scale);
    }
  }
}

/** A label on a filled tag above (x, y), inside the picture; dark text on light colours. */
function label(context, text, x, y, colour, scale) {
  const padding = 3 * scale;
  const height = Math.round(16 * scale) + 2 * padding;
  const width = context.measureText(text).width + 2 * padding;
  const left = Math.max(0, Math.min(x, context.canvas.width - width));
  const top = y - height >= 0 ? y - height : y;
  context.fillStyle = colour;
  context.fillRect(left, top, width, height);
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
  context.fillStyle = 0.299 * r + 0.587 * g + 0.114 * b > 140 ? '#000' : '#fff';
  context.textBaseline = 'top';
  context.fillText(text, left + padding, top + padding);
}
