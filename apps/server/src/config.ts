import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { redactUrl } from '@cctv/redact';
import { Kind, Type as t, type Static, type TSchema } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { MqttConfigSchema } from '@cctv/integrations';
import { LineSchema, ZoneSchema } from '@cctv/tracker';
import { expectedValue } from './expected.ts';
import { redactSecrets } from './redact.ts';
import { IP_OR_CIDR_PATTERN } from './ip-ranges.ts';

/**
 * The one config schema. The seed's `config.json` keys load as they are; every field has a
 * description and a default, and the README's config table is generated from this (see
 * `bun run docs:config`).
 */
/** An auth token: long enough not to be guessed, printable ASCII without spaces (so it fits a header, a cookie and a URL). */
const AuthTokenValue = t.String({ minLength: 16, maxLength: 512, pattern: '^[\\x21-\\x7e]+$' });
const AuthToken = t.Union(
  [AuthTokenValue, t.Object({ name: t.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }), token: AuthTokenValue }, { additionalProperties: false })],
  { 'x-expected': 'a token of 16 to 512 printable characters without spaces, or {"name": "letters, digits, _.-", "token": "…"}' },
);

const SettingsSchema = t.Object(
  {
    camera_url: t.String({
      minLength: 1,
      default: 'demo:',
      description:
        'Where the video comes from: rtsp://user:pass@host:554/path, http(s):// MJPEG, a video file path (looped at its real rate), /dev/videoN (V4L2), or demo: / demo:WIDTHxHEIGHT (a synthetic scene that needs nothing installed).',
    }),
    target_fps: t.Number({ minimum: 1, maximum: 60, default: 15, description: 'Frames per second taken from the camera and served; faster cameras are thinned.' }),
    jpeg_quality: t.Integer({ minimum: 1, maximum: 100, default: 65, description: 'JPEG quality of the served frames (each frame is encoded once for every viewer).' }),
    rtsp_decoder: t.Union([t.Literal('auto'), t.Literal('gstreamer'), t.Literal('ffmpeg')], {
      default: 'auto',
      description:
        "What reads rtsp:// cameras: 'auto' uses GStreamer when gst-launch-1.0 with rtspsrc, decodebin and an H.264 decoder is installed (Debian: gstreamer1.0-tools, -plugins-base, -plugins-good, -libav; frames ~130 ms sooner than ffmpeg 5.1, which holds ~2 frames), else ffmpeg; naming one makes the server use it or say what is missing. Other sources always use ffmpeg.",
    }),
    jpeg_encoder: t.Union([t.Literal('auto'), t.Literal('libjpeg-turbo'), t.Literal('sharp')], {
      default: 'auto',
      description:
        "What encodes the JPEGs: 'auto' uses the system's libjpeg-turbo (libturbojpeg.so.0, Debian's libturbojpeg0; ~4× faster than sharp here) when it loads, else sharp (always there); naming one makes the server use it or say why not.",
    }),
    data_dir: t.String({
      minLength: 1,
      default: './data',
      description:
        "Folder for the server's own state (created 0700, files 0600): the session-signing secret, line counts, events and their snapshots. Relative paths are taken from the directory the server is started in.",
    }),
    detection_enabled: t.Boolean({ default: false, description: 'Run YOLO object detection on the video and draw the boxes into the served frames.' }),
    model_path: t.String({
      minLength: 1,
      default: 'models/best.onnx',
      description:
        'YOLO model file used when detection is enabled: an ONNX export (`yolo export format=onnx`; YOLOv5, v8/11, end-to-end v10/26 and YOLOX layouts), or a TensorRT engine (`.engine` / `.plan`, e.g. `yolo export format=engine`; needs `bun run build:native` where TensorRT is installed, and falls back to a same-named `.onnx` beside it when TensorRT cannot run it).',
    }),
    detection: t.Object(
      {
        confidence: t.Number({ minimum: 0, maximum: 1, default: 0.35, description: 'Lowest confidence a detection is reported and drawn at.' }),
        iou: t.Number({ minimum: 0, maximum: 1, default: 0.45, description: 'Overlap (IoU) above which two boxes of one class are the same object (non-maximum suppression).' }),
        classes: t.Array(t.Union([t.String({ minLength: 1 }), t.Integer({ minimum: 0 })]), {
          default: [],
          description: 'Only report these classes, by name or id (e.g. ["person", "car"]); empty: every class.',
        }),
        labels_path: t.Optional(t.String({ minLength: 1, description: 'Class names, one per line, for a model whose metadata has none (default: the metadata, else COCO-80 for 80 classes).' })),
        threads: t.Integer({ minimum: 1, maximum: 64, default: 2, description: 'Threads one inference may use (ONNX Runtime intra-op threads); 2 suits a 2-core box.' }),
        execution_providers: t.Array(t.String({ minLength: 1 }), {
          default: ['cpu'],
          description: 'ONNX Runtime execution providers, in order of preference (e.g. ["cuda", "cpu"]).',
        }),
        max_fps: t.Number({ minimum: 0, maximum: 60, default: 0, description: 'Run detection at most this often per second (0: on every frame it can keep up with); the video rate is never lowered.' }),
        backend: t.Union([t.Literal('auto'), t.Literal('onnxruntime'), t.Literal('tensorrt')], {
          default: 'auto',
          description:
            'What runs the model: "auto" goes by model_path\'s extension (.engine / .plan: TensorRT through native/build/libcctv_trt.so or $CCTV_TRT_SHIM; anything else: ONNX Runtime); "onnxruntime" or "tensorrt" forces one.',
        }),
      },
      { default: {}, additionalProperties: false, description: 'Object detection settings (used when detection_enabled is true).' },
    ),
    lines: t.Array(LineSchema, {
      default: [],
      description:
        'Counting lines in the camera\'s pixels, [{"name": "entrance", "from": [400, 0], "to": [400, 576], "classes": ["person"]}]: feet crossing from the right-hand side of from→to to its left count "in" (see "Counting").',
    }),
    zones: t.Array(ZoneSchema, {
      default: [],
      description: 'Zones in the camera\'s pixels, [{"name": "counter", "points": [[100, 300], [500, 300], [500, 570]], "classes": ["person"]}]: live occupancy, enter and leave events.',
    }),
    tracking: t.Object(
      {
        high_threshold: t.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'Boxes at or above this confidence are matched to tracks first (ByteTrack).' }),
        low_threshold: t.Number({ minimum: 0, maximum: 1, default: 0.1, description: 'Boxes from this confidence up keep a track alive when the confident ones left it unmatched (a person half hidden); the detector reports boxes down to here, and only those at detection.confidence or more are drawn and reported.' }),
        new_track_threshold: t.Number({ minimum: 0, maximum: 1, default: 0.6, description: 'A new object is tracked only from a box at least this confident.' }),
        frames_to_confirm: t.Integer({ minimum: 1, maximum: 30, default: 3, description: 'Detections in a row before a new object gets its id (and its event starts).' }),
        max_age_s: t.Number({ minimum: 0, maximum: 600, default: 1.5, description: 'An object unseen for longer than this is gone (its event ends); until then it keeps its id when seen again.' }),
      },
      { default: {}, additionalProperties: false, description: 'The object tracker (ByteTrack) behind track ids, counting and events (see packages/tracker).' },
    ),
    counting: t.Object(
      {
        line_margin_px: t.Number({ minimum: 0, maximum: 1000, default: 8, description: 'Feet within this many pixels of a line are on it, on neither side: jitter there never counts.' }),
        line_frames: t.Integer({ minimum: 1, maximum: 30, default: 2, description: 'Detections in a row clearly on the new side before a crossing counts.' }),
        zone_enter_s: t.Number({ minimum: 0, maximum: 600, default: 0.5, description: 'Seconds inside a zone before an object counts as entered.' }),
        zone_leave_s: t.Number({ minimum: 0, maximum: 600, default: 0.5, description: 'Seconds outside before it counts as left (or at once when its track ends).' }),
        daily_reset: t.Boolean({ default: true, description: "inbound/outbound in /api/stats (and the sheet) are today's counts, from local midnight; false: since counting began. /api/counts gives both." }),
      },
      { default: {}, additionalProperties: false, description: 'Line crossings and zone presence (see "Counting").' },
    ),
    events: t.Object(
      {
        retain_days: t.Number({ minimum: 0.01, default: 30, description: 'Events (one tracked object each) older than this are deleted, with their snapshots.' }),
        retain_count: t.Integer({ minimum: 1, default: 5000, description: 'Most events kept; the oldest go first.' }),
      },
      { default: {}, additionalProperties: false, description: "Tracked objects' events in <data_dir>/events.sqlite (GET /api/events)." },
    ),
    sheets_enabled: t.Boolean({
      default: false,
      description:
        "The seed's switch for Google Sheets: true runs it (webapp_url, or credentials_file with spreadsheet_id, is then required); false or absent keeps it off even with sheets_config filled in.",
    }),
    sheets_config: t.Object(
      {
        enabled: t.Optional(
          t.Boolean({ description: 'The same switch as sheets_enabled, under its earlier name here (setting both to different values is an error).' }),
        ),
        webapp_url: t.String({ default: '', description: 'Apps Script web app URL: GET answers {"inbound": N, "outbound": N}, POST takes event rows as JSON (see "Integrations").' }),
        poll_interval: t.Number({ minimum: 1, default: 5, description: 'Seconds between reads of the inbound/outbound counts.' }),
        credentials_file: t.String({ default: '', description: 'Service-account JSON key file for the Sheets API (used instead of webapp_url when set with spreadsheet_id; kept secret).' }),
        spreadsheet_id: t.String({ default: '', description: 'Spreadsheet to read counts from and append rows to (the id in its URL).' }),
        counts_range: t.String({ minLength: 1, default: 'Counts!A2:B2', description: 'A1 range whose first two cells are inbound and outbound (Sheets API).' }),
        events_range: t.String({ minLength: 1, default: 'Events!A:H', description: 'A1 range detection rows are appended to: time, camera (its name), class, count, confidence, snapshot, id, camera_id (Sheets API).' }),
        crossings_range: t.String({ minLength: 1, default: 'Crossings!A:H', description: 'A1 range a row per line crossing is appended to: time, camera, line, direction, class, track, id, camera_id (Sheets API).' }),
        api_root: t.String({ minLength: 1, default: 'https://sheets.googleapis.com/', description: 'Sheets API root URL (change only for a proxy or a test server).' }),
        event_classes: t.Array(t.String({ minLength: 1 }), { default: [], description: 'Classes that make a row; empty: every class.' }),
        min_confidence: t.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'Detections below this confidence make no row.' }),
        cooldown_s: t.Number({ minimum: 0, default: 10, description: 'Seconds before the same class on the same camera makes another row.' }),
      },
      { default: {}, additionalProperties: false, description: 'Google Sheets: inbound/outbound counts in, detection rows out (Apps Script web app or Sheets API).' },
    ),
    telegram_enabled: t.Boolean({
      default: false,
      description:
        "The seed's switch for Telegram: true runs it (bot_token and chat_id are then required); false or absent keeps it off even with telegram_config filled in.",
    }),
    telegram_config: t.Object(
      {
        enabled: t.Optional(
          t.Boolean({ description: 'The same switch as telegram_enabled, under its earlier name here (setting both to different values is an error).' }),
        ),
        bot_token: t.String({ default: '', description: 'Bot token from @BotFather (kept secret: never logged or shown).' }),
        chat_id: t.Union([t.String(), t.Integer()], { default: '', description: 'Chat that receives alerts and may send commands; commands from any other chat are ignored.' }),
        api_root: t.String({ minLength: 1, default: 'https://api.telegram.org', description: 'Bot API server (change only for a local Bot API server or a test server).' }),
        alert_classes: t.Array(t.String({ minLength: 1 }), { default: [], description: 'Classes that raise an alert with a snapshot; empty: every class.' }),
        min_confidence: t.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'Detections below this confidence raise no alert.' }),
        cooldown_s: t.Number({ minimum: 0, default: 0, description: 'Alerts are per object (one tracked person alerts once however long they stay); this many seconds must also pass before another object of the same class on the same camera alerts (0: every object alerts).' }),
        quiet_hours: t.String({ examples: ['22:00-06:00', ''], pattern: '^$|^\\s*([01]?\\d|2[0-3]):[0-5]\\d\\s*-\\s*([01]?\\d|2[0-3]):[0-5]\\d\\s*$', default: '', description: 'Local time without detection alerts, e.g. "22:00-06:00" (camera down/up messages still go); empty: none.' }),
        camera_alerts: t.Boolean({ default: true, description: 'Send a message when the camera goes down and when it comes back.' }),
        alert_on: t.Union([t.Literal('appear'), t.Literal('zone'), t.Literal('line')], {
          default: 'appear',
          description: 'When an object of alert_classes alerts, once per object: "appear" when it is first tracked; "zone" when it enters one of its camera\'s zones; "line" when it crosses one of its lines.',
        }),
        commands: t.Boolean({ default: true, description: 'Answer /status, /snapshot and /stats in the configured chat (getUpdates long polling).' }),
        poll_timeout_s: t.Integer({ minimum: 1, maximum: 50, default: 30, description: 'Long-polling timeout of getUpdates, in seconds.' }),
      },
      { default: {}, additionalProperties: false, description: 'Telegram (grammY): alerts with a snapshot, camera down/up messages, bot commands.' },
    ),
    mqtt: MqttConfigSchema,
    integrations: t.Object(
      {
        outbox_path: t.String({ minLength: 1, default: './data/outbox.sqlite', description: 'SQLite file that holds rows and alerts until their service confirms them (relative to the working directory).' }),
        outbox_max_entries: t.Integer({ minimum: 1, default: 1000, description: 'Most messages kept per service while it is unreachable; beyond that the oldest are dropped (counted and logged).' }),
        snapshot_dir: t.String({ default: './data/snapshots', description: 'Folder for the JPEG of each detection row (its file name is the row\'s snapshot column); empty: keep none.' }),
        snapshot_keep: t.Integer({ minimum: 1, default: 500, description: 'Most snapshot files kept; the oldest are deleted.' }),
        retry_initial_s: t.Number({ minimum: 0.01, default: 1, description: 'First retry delay for undelivered messages; doubled after each failure (a service\'s own Retry-After wins).' }),
        retry_max_s: t.Number({ minimum: 0.01, default: 300, description: 'Longest retry delay.' }),
        request_timeout_s: t.Number({ minimum: 1, default: 30, description: 'Timeout of each request to Google or Telegram.' }),
      },
      { default: {}, additionalProperties: false, description: 'Delivery to Sheets and Telegram: the durable outbox and retries.' },
    ),
    server: t.Object(
      {
        port: t.Integer({ minimum: 1, maximum: 65535, default: 5001, description: 'HTTP port for the API, the stream and Socket.IO.' }),
        host: t.String({ minLength: 1, default: '0.0.0.0', description: 'Address to listen on (0.0.0.0: every interface; 127.0.0.1: this machine only).' }),
        stream_keepalive_s: t.Number({
          minimum: 1,
          maximum: 60,
          default: 5,
          description: 'While the camera is stalled, re-send the last frame this often so proxies and idle timeouts keep the stream open.',
        }),
        auth: t.Object(
          {
            tokens: t.Array(AuthToken, {
              default: [],
              description:
                'Tokens that may use the server, each {"name": "…", "token": "…"} (or a bare token string); empty: no auth. Accepted as Authorization: Bearer, ?token=, or the cookie set by /login. Kept secret.',
            }),
          },
          { default: {}, additionalProperties: false, description: 'Token auth: when any token is set, every route but /api/health needs one.' },
        ),
        trust_proxy: t.Boolean({
          default: false,
          description:
            'Behind a reverse proxy or tunnel (Cloudflare Tunnel, nginx): take the client address from CF-Connecting-IP / X-Forwarded-For (for rate limits) and https from X-Forwarded-Proto. Off: the socket address, as clients could forge those headers.',
        }),
        trusted_proxies: t.Array(t.String({ pattern: IP_OR_CIDR_PATTERN, examples: ['10.0.0.5', '172.16.0.0/12', 'fd00::/8'] }), {
          default: [],
          description:
            'With trust_proxy: the proxies whose headers are believed, as addresses or CIDR ranges (IPv4, IPv6), besides loopback (127.0.0.0/8, ::1), which always is; a request from any other peer is judged by its own address.',
        }),
        cors_origins: t.Array(t.String({ pattern: '^(\\*|https?://[^/\\s]+)$', examples: ['https://cctv.example.com', '*'] }), {
          default: [],
          description: 'Web origins whose pages may call the API from a browser (CORS), e.g. ["https://cctv.example.com"]; "*": any origin, without cookies; empty: none (same-origin only).',
        }),
        openapi: t.Boolean({ default: true, description: 'Serve the OpenAPI document at /api/openapi.json and an API reference page at /api/docs (behind auth when auth is on).' }),
      },
      { default: {}, additionalProperties: false, description: 'HTTP server.' },
    ),
  },
  { additionalProperties: false },
);

/** The keys a camera of `cameras` may set for itself; the top-level ones are the defaults for every camera. */
export const CAMERA_KEYS = ['camera_url', 'target_fps', 'jpeg_quality', 'rtsp_decoder', 'detection_enabled', 'model_path', 'detection', 'lines', 'zones'] as const;
type CameraKey = (typeof CAMERA_KEYS)[number];
type Settings = Static<typeof SettingsSchema>;

/** A camera's id: it appears in URLs and MQTT topics. */
export const CAMERA_ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,31}$';

/** The same field without a default, and an object's fields optional: a camera overrides only what it sets. */
function overridable(schema: TSchema): TSchema {
  const { default: _default, ...rest } = schema;
  if (schema.type !== 'object' || !schema.properties) return { ...rest, [Kind]: schema[Kind] } as TSchema;
  const properties = Object.fromEntries(Object.entries(schema.properties as Record<string, TSchema>).map(([key, child]) => [key, t.Optional(overridable(child))]));
  return t.Object(properties, { additionalProperties: false, description: schema.description });
}

const CameraEntrySchema = t.Object(
  {
    name: t.Optional(t.String({ minLength: 1, maxLength: 100, description: 'What people call this camera (default: its id).' })),
    ...Object.fromEntries(CAMERA_KEYS.map((key) => [key, key === 'camera_url' ? SettingsSchema.properties.camera_url : t.Optional(overridable(SettingsSchema.properties[key]))])),
  },
  { additionalProperties: false },
);

export const ConfigSchema = t.Object(
  {
    ...SettingsSchema.properties,
    cameras: t.Optional(
      t.Record(t.String(), CameraEntrySchema, {
        description:
          'Many cameras, by id (lowercase letters, digits, _ and -; it appears in URLs and topics): each {"camera_url": …} and any of target_fps, jpeg_quality, rtsp_decoder, detection_enabled, model_path, detection.*, name, overriding the top-level keys (the defaults for all). Without it, camera_url is the one camera, id "default". Also CCTV_CAMERAS as JSON.',
      }),
    ),
  },
  { additionalProperties: false },
);

type Overrides<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? Overrides<T[K]> : T[K] };

/** One camera of `cameras`: its own keys, over the top-level ones. */
export type CameraEntry = { camera_url: string; name?: string } & Overrides<Pick<Settings, Exclude<CameraKey, 'camera_url'>>>;

export type Config = Settings & { cameras?: Record<string, CameraEntry> };

/** One camera as the server runs it: the top-level keys with the camera's own over them. */
export type CameraConfig = Pick<Settings, CameraKey> & { id: string; name: string };

/** The id of the one camera of a config without `cameras` (the seed's): its routes are the seed's routes. */
export const SINGLE_CAMERA_ID = 'default';

/** Every camera of the config, in config order. The first one answers the seed's single-camera routes and events. */
export function cameraConfigs(config: Config): CameraConfig[] {
  const defaults = Object.fromEntries(CAMERA_KEYS.map((key) => [key, config[key]])) as Pick<Settings, CameraKey>;
  if (!config.cameras) return [{ ...structuredClone(defaults), id: SINGLE_CAMERA_ID, name: hostName(config.camera_url) }];
  return Object.entries(config.cameras).map(([id, { name, detection, ...own }]) => ({
    ...structuredClone(defaults),
    ...structuredClone(own),
    detection: { ...structuredClone(defaults.detection), ...structuredClone(detection) },
    id,
    name: name ?? id,
  }));
}

/** The seed's one camera is named by its host (no credentials), or the source as given, redacted. */
function hostName(cameraUrl: string): string {
  try {
    const url = new URL(cameraUrl);
    if (url.host) return url.host;
  } catch {
    // Not a URL (a file path, demo:), or one `URL` refuses (a raw space in a password): redacted below.
  }
  return redactSecrets(cameraUrl);
}

export class ConfigError extends Error {
  constructor(readonly problems: string[], origin: string) {
    super(`invalid config (${origin}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Environment variable for a config key: `server.port` → `CCTV_SERVER_PORT`. */
export function envName(path: readonly string[]): string {
  return `CCTV_${path.join('_').toUpperCase()}`;
}

interface Leaf {
  path: string[];
  schema: TSchema;
}

/** Every scalar field of the schema, in declaration order. */
export function configLeaves(schema: TSchema = ConfigSchema, path: string[] = []): Leaf[] {
  if (schema.type === 'object' && schema.properties) {
    return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([key, child]) => configLeaves(child, [...path, key]));
  }
  return [{ path, schema }];
}

export interface LoadOptions {
  /** Config file; undefined means none (defaults, env and flags only). */
  file?: string;
  env?: Record<string, string | undefined>;
  /** Values from command-line flags, applied last. */
  overrides?: { port?: number };
}

export interface LoadedConfig {
  config: Config;
  /** Where it came from, for the banner: the file, or "defaults". */
  origin: string;
}

/**
 * Defaults < file < CCTV_* environment < flags. Each layer is checked on its own before they are
 * merged, so a wrong value is refused even where a later layer overrides it (`"server":
 * "localhost"` with `--port 5001` names `server`); then the rules that tie keys together.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const origin = options.file ? resolve(options.file) : 'built-in defaults';
  const fromFile = options.file ? readConfigFile(origin) : {};
  const { layer: fromEnvironment, names } = environmentLayer(options.env ?? {});
  const fromFlags: Record<string, unknown> = {};
  if (options.overrides?.port !== undefined) setPath(fromFlags, ['server', 'port'], options.overrides.port);

  const problems = [...layerProblems(fromFile, new Map()), ...layerProblems(fromEnvironment, names), ...layerProblems(fromFlags, new Map())];
  if (problems.length) throw new ConfigError(problems, origin);
  const merged = [fromEnvironment, fromFlags].reduce<Record<string, unknown>>((base, layer) => mergeLayer(base, layer), structuredClone(fromFile));
  const config = Value.Default(ConfigSchema, structuredClone(merged)) as Config;
  const rules = [...cameraRules(merged), ...uniqueNames('', merged), ...integrationSwitches(config, merged)];
  if (rules.length) throw new ConfigError(rules, origin);
  return { config, origin };
}

function readConfigFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new ConfigError([`config file not found: ${path}`], path);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError([`not valid JSON: ${(error as Error).message}`], path);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError([`the top level must be a JSON object of settings, got ${describe(raw)}`], path);
  }
  return raw as Record<string, unknown>;
}

/** The CCTV_* variables as a config layer, and which variable set which key. */
function environmentLayer(env: Record<string, string | undefined>): { layer: Record<string, unknown>; names: Map<string, string> } {
  const layer: Record<string, unknown> = {};
  const names = new Map<string, string>();
  for (const { path, schema } of configLeaves()) {
    const name = envName(path);
    const text = env[name];
    if (text === undefined) continue;
    setPath(layer, path, parseEnvValue(text, schema));
    names.set(path.join('.'), name);
  }
  return { layer, names };
}

/**
 * One layer against the schema. A missing key is no error (every key has a default), and this
 * runs before defaults are filled in: Value.Default silently replaces a wrong-typed object such
 * as `"server": []`.
 */
function layerProblems(layer: Record<string, unknown>, fromEnv: Map<string, string>): string[] {
  // A camera of `cameras` has no default camera_url: missing there is an error.
  const missing = (error: ValueError) => error.value === undefined && !/^\/cameras\/[^/]+\/camera_url$/.test(error.path);
  return explain([...Value.Errors(ConfigSchema, layer)].filter((error) => !missing(error)), fromEnv);
}

/** `layer` over `base`: objects merge key by key; lists and values replace. */
function mergeLayer(base: Record<string, unknown>, layer: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(layer)) {
    const under = out[key];
    const bothObjects = [under, value].every((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
    out[key] = bothObjects ? mergeLayer(under as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}

/** Camera ids that fit URLs and topics, and one way of naming the cameras, not two. */
function cameraRules(given: Record<string, unknown>): string[] {
  const cameras = given.cameras as Record<string, unknown> | undefined;
  if (cameras === undefined) return [];
  const problems: string[] = [];
  const ids = Object.keys(cameras);
  if (!ids.length) problems.push('cameras: got an empty map, expected at least one camera ({"door": {"camera_url": "rtsp://…"}}), or no cameras key and camera_url for one camera');
  const idPattern = new RegExp(CAMERA_ID_PATTERN);
  for (const id of ids) {
    if (!idPattern.test(id)) problems.push(`cameras.${id}: not a camera id; expected 1 to 32 lowercase letters, digits, _ or -, starting with a letter or digit (it appears in URLs and topics)`);
  }
  for (const [id, camera] of Object.entries(cameras)) problems.push(...uniqueNames(`cameras.${id}`, camera));
  if ('camera_url' in given) {
    problems.push(
      `camera_url and cameras are both set: keep cameras and move this camera into it (e.g. "cameras": {"default": {"camera_url": "${redactUrl(String(given.camera_url))}"}}), or remove cameras for a single camera`,
    );
  }
  return problems;
}

/** A camera's lines have names of their own, and its zones too: the names key counts, events and topics. */
function uniqueNames(where: string, camera: unknown): string[] {
  const problems: string[] = [];
  for (const kind of ['lines', 'zones'] as const) {
    const names = ((camera as Partial<Record<typeof kind, Array<{ name?: unknown }>>>)?.[kind] ?? []).map((area) => area?.name);
    const twice = names.filter((name, i) => names.indexOf(name) !== i);
    if (twice.length) problems.push(`${where ? `${where}.` : ''}${kind}: the name ${JSON.stringify(twice[0])} is used twice; expected each ${kind === 'lines' ? 'line' : 'zone'} of a camera to have its own name`);
  }
  return problems;
}

/**
 * The seed's `sheets_enabled` / `telegram_enabled` decide; `sheets_config.enabled` /
 * `telegram_config.enabled` are the same switch under this server's earlier names, folded into
 * them here so that nothing else reads two switches. An integration that is on must have what
 * it needs.
 */
function integrationSwitches(config: Config, given: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [switchKey, section] of [['sheets_enabled', 'sheets_config'], ['telegram_enabled', 'telegram_config']] as const) {
    const alias = config[section].enabled;
    if (alias !== undefined) {
      if (switchKey in given && alias !== config[switchKey]) {
        problems.push(`${section}.enabled: got ${alias} while ${switchKey} is ${config[switchKey]}: they are one switch; keep ${switchKey}`);
      }
      config[switchKey] = alias;
      delete config[section].enabled;
    }
  }
  const { sheets_config: sheets, telegram_config: telegram } = config;
  if (config.sheets_enabled) {
    if (sheets.credentials_file && !sheets.spreadsheet_id) problems.push('sheets_config.spreadsheet_id: required with sheets_config.credentials_file (the Sheets API)');
    else if (!sheets.webapp_url && !sheets.credentials_file) {
      problems.push('sheets_config.webapp_url: required when sheets_enabled is true (or sheets_config.credentials_file with sheets_config.spreadsheet_id, for the Sheets API)');
    }
  }
  if (config.telegram_enabled) {
    if (!telegram.bot_token) problems.push('telegram_config.bot_token: required when telegram_enabled is true');
    if (telegram.chat_id === '') problems.push('telegram_config.chat_id: required when telegram_enabled is true');
  }
  return problems;
}

function parseEnvValue(text: string, schema: TSchema): unknown {
  // A whole map (CCTV_CAMERAS='{"door": {…}}'): JSON, or the text itself for the error to show.
  if (schema.type === 'object') {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  if (schema.type === 'integer' || schema.type === 'number') return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
  if (schema.type === 'boolean') return /^(true|1|yes|on)$/i.test(text) ? true : /^(false|0|no|off)$/i.test(text) ? false : text;
  // Lists: a JSON array, or comma-separated words (CCTV_DETECTION_CLASSES=person,car).
  if (schema.type === 'array') {
    if (text.trim().startsWith('[')) {
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    }
    return text.split(',').map((item) => item.trim()).filter(Boolean).map((item) => (/^\d+$/.test(item) ? Number(item) : item));
  }
  return text;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

/** One line per bad key: the key, the value found, what was expected. */
function explain(errors: ValueError[], fromEnv: Map<string, string>): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const error of errors) {
    const key = error.path.replace(/^\//, '').replaceAll('/', '.') || '(top level)';
    if (seen.has(key)) continue;
    seen.add(key);
    // A list item (`server.auth.tokens.0`) came from its list's variable.
    const envKey = [...fromEnv.keys()].find((k) => key === k || key.startsWith(`${k}.`));
    const via = envKey ? ` (from ${fromEnv.get(envKey)})` : '';
    if (error.message === 'Unexpected property') {
      const parent = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : '';
      const known = knownKeys(parent);
      const name = key.slice(key.lastIndexOf('.') + 1);
      const guess = closest(name, known);
      lines.push(`${key}: unknown key${guess ? ` (did you mean "${guess}"?)` : ''}; expected one of: ${known.join(', ')}`);
      continue;
    }
    const shown = /token|password|secret|private_key/i.test(key) ? '(a hidden value)' : redactUrl(describe(error.value));
    lines.push(`${key}${via}: got ${shown}, expected ${expectedValue(error.schema)}`);
  }
  return lines;
}

function knownKeys(parentPath: string): string[] {
  let schema: TSchema = ConfigSchema;
  for (const key of parentPath ? parentPath.split('.') : []) {
    // A map (`cameras`): every key of it has the same schema.
    const mapped = schema.patternProperties ? Object.values(schema.patternProperties as Record<string, TSchema>)[0] : undefined;
    schema = mapped ?? (schema.properties as Record<string, TSchema>)[key]!;
  }
  return Object.keys(schema.properties ?? {});
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}

/** The known key nearest to a misspelt one, if it is close enough to be a typo. */
function closest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
