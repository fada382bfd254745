// The reference dashboard client: one Socket.IO connection, and one WebSocket for the video of
// every camera on the page, the grid's tiles and the camera shown full size (player.js); no framework.
//
// What the server sends (see the README's API section):
//   status_update      the first camera's /api/status body (status, fps, frame_count, camera{…},
//                      stream{…}, detection{…}, integrations{…}), and cameras{ id: that camera's status }
//   stats_update       the /api/stats body: detection_count, fps, inbound, outbound
//   detections_update  { camera, seq, timestamp, media_time, detections: [{ class_id, class_name, track_id, confidence, box }] }
//   api/ws (binary)    JPEG frames, or the camera's own H.264: its configuration and access units (player.js)
// What a client may send:
//   request_stats      answered with stats_update
//   api/ws (text)      {"type": "subscribe", "cameras": {"<id>": {"format": "h264"}}}: the cameras it shows
//
// Every URL here is relative to the page, so it also works behind a reverse proxy or tunnel that
// serves this server under a path prefix (https://example.com/cctv/ → this server's /).
'use strict';

const $ = (id) => document.getElementById(id);
const RECENT_EVENTS = 20;
/** Frames per second of a grid tile shown as JPEG: enough to see movement, a fraction of full-size bandwidth. */
const TILE_FPS = 10;
const live = new LiveVideo();
/** The player of the camera shown full size, in #video. */
let fullView;

// ---- Cameras and what is shown -----------------------------------------------------------
// With one camera the page shows it full size (the seed's page). With several, a grid of every
// camera; a click opens one full size (#/camera/<id>), "all cameras" goes back.
let cameras = []; // [{ id, name }] in config order, from api/cameras
let statuses = {}; // id → that camera's status, from status_update
let shown; // the id shown full size, or undefined for the grid

function viewFromHash() {
  const match = /^#\/camera\/([a-z0-9_-]+)$/.exec(location.hash);
  return match ? match[1] : undefined;
}

async function loadCameras() {
  const response = await fetch('api/cameras', { cache: 'no-store' });
  if (!response.ok) return;
  cameras = (await response.json()).map(({ id, name }) => ({ id, name }));
  buildGrid();
  showView();
}

function showView() {
  const many = cameras.length > 1;
  const wanted = many ? viewFromHash() : cameras[0]?.id;
  shown = cameras.some((c) => c.id === wanted) ? wanted : undefined;
  $('grid').hidden = shown !== undefined || !many;
  $('camera-view').hidden = shown === undefined && many;
  $('view-bar').hidden = !many;
  $('view-name').textContent = cameraById(shown)?.name ?? '';
  if (fullView && fullView.id !== shown) {
    fullView.destroy();
    fullView = undefined;
  }
  if (shown !== undefined) {
    fullView ??= live.player(shown, $('video'), { toggle: true });
    renderStatus(statuses[shown]);
  }
  // The grid: the full-size video is unsubscribed, not left running behind it.
  subscribeVideo();
  // counting.js (and any other part of the page) follows the view.
  document.dispatchEvent(new CustomEvent('cctv:view', { detail: { camera: shown } }));
}

function cameraById(id) {
  return cameras.find((c) => c.id === id);
}

window.addEventListener('hashchange', showView);
$('back').addEventListener('click', () => {
  location.hash = '';
});

// ---- Socket.IO ----------------------------------------------------------------------------
// The page is at <prefix>/, so Socket.IO is at <prefix>/socket.io/. It reconnects by itself.
const prefix = location.pathname.replace(/[^/]*$/, '');
const socket = io({ path: prefix + 'socket.io/' });
let wasDisconnected = false;

socket.on('connect', () => {
  showConnection('live', 'live');
  // The server pushes stats every second; asking once makes the counters show at once.
  socket.emit('request_stats');
  // Back after the server restarted: its cameras may have changed, and the old streams are gone.
  if (wasDisconnected || !cameras.length) void loadCameras();
  wasDisconnected = false;
});
socket.on('disconnect', () => {
  wasDisconnected = true;
  showConnection('down', 'disconnected, reconnecting…');
  for (const panel of document.querySelectorAll('.panel')) panel.classList.remove('live');
});
socket.on('status_update', (update) => {
  statuses = update.cameras ?? {};
  // A reload added or removed cameras: the page follows.
  const ids = Object.keys(statuses);
  if (ids.length !== cameras.length || ids.some((id) => !cameraById(id))) void loadCameras();
  for (const [id, status] of Object.entries(statuses)) renderTileStatus(id, status);
  if (shown !== undefined) renderStatus(statuses[shown], update.integrations);
});
socket.on('stats_update', renderStats);
socket.on('detections_update', (update) => {
  live.detections(update);
  addDetectionEvent(update);
});

function showConnection(state, text) {
  $('connection').dataset.state = state;
  $('connection').textContent = text;
}

// ---- Status -------------------------------------------------------------------------------

function renderStatus(status, integrations) {
  if (integrations !== undefined) renderIntegrations(integrations);
  if (!status) return;
  const camera = status.camera ?? { state: status.status, reason: null };
  $('camera-state').textContent = camera.state;
  $('camera-state').dataset.state = camera.state;
  $('camera-reason').textContent = camera.reason ?? '';
  $('camera-reason').hidden = $('camera-reason-label').hidden = !camera.reason;
  $('source').textContent = camera.source ?? '';

  // Over the video while it is not live: why (the picture is the last frame, or a status card).
  const banner = $('video-banner');
  banner.hidden = camera.state === 'Streaming';
  banner.textContent = camera.state + (camera.reason ? ': ' + camera.reason : '');

  $('video-fps').textContent = number(status.fps, 1) + ' fps';
  $('viewers').textContent = number(status.stream?.clients);
  $('frames').textContent = number(status.frame_count) + (status.stream ? ' (' + number(status.stream.frames_dropped) + ' dropped)' : '');
  $('detection').textContent = describeDetection(status.detection);
  $('status-panel').classList.add('live');
}

function describeDetection(detection) {
  if (!detection) return '—';
  const model = detection.model ? ' · ' + detection.model.split('/').pop() : '';
  if (detection.state === 'running') return number(detection.fps, 1) + ' fps · ' + number(detection.infer_ms, 0) + ' ms' + model;
  return detection.state + (detection.reason ? ': ' + detection.reason : '');
}

// One line per integration (sheets, telegram, mqtt…), hidden when there are none.
function renderIntegrations(integrations) {
  const names = Object.keys(integrations ?? {});
  $('integrations-panel').hidden = names.length === 0;
  $('integrations').replaceChildren(...names.map((name) => {
    const it = integrations[name];
    const li = document.createElement('li');
    const parts = [it.state];
    if (it.queued) parts.push(it.queued + ' queued');
    if (it.last_success) parts.push('ok ' + clock(it.last_success));
    if (it.last_error) parts.push(it.last_error);
    li.innerHTML = '<b></b> <span></span>';
    li.children[0].textContent = name;
    li.children[1].textContent = parts.join(' · ');
    li.dataset.state = it.state;
    return li;
  }));
  if (names.length) $('integrations-panel').classList.add('live');
}

// ---- Counters -----------------------------------------------------------------------------
function renderStats(stats) {
  $('detections-now').textContent = number(stats.detection_count);
  $('inbound').textContent = number(stats.inbound);
  $('outbound').textContent = number(stats.outbound);
  $('counters-panel').classList.add('live');
}

// ---- Recent detections --------------------------------------------------------------------
// One detections_update per detector result (several a second per camera); the list keeps the
// last 20 that found something, and a result that repeats the one before only bumps its count.
const events = [];

function addDetectionEvent(update) {
  if (!update.detections?.length) return;
  // "person ×2, car" for the classes in this result; the camera's name when there are several.
  const counts = {};
  for (const d of update.detections) counts[d.class_name] = (counts[d.class_name] ?? 0) + 1;
  let classes = Object.entries(counts).map(([name, n]) => (n > 1 ? name + ' ×' + n : name)).join(', ');
  if (cameras.length > 1 && update.camera) classes = (cameraById(update.camera)?.name ?? update.camera) + ': ' + classes;
  const time = clock(update.timestamp);
  if (events[0]?.classes === classes) Object.assign(events[0], { time, repeats: events[0].repeats + 1 });
  else events.unshift({ time, classes, repeats: 1 });
  events.length = Math.min(events.length, RECENT_EVENTS);
  $('events').replaceChildren(...events.map((e) => {
    const li = document.createElement('li');
    li.innerHTML = '<time></time> <span></span> <small></small>';
    li.children[0].textContent = e.time;
    li.children[1].textContent = e.classes;
    li.children[2].textContent = e.repeats > 1 ? e.repeats + ' results' : '';
    return li;
  }));
  $('events-panel').classList.add('live');
}

// ---- The grid: every camera over one WebSocket ----------------------------------------------
const tiles = new Map(); // id → { figure, player }
let visible = new Set(); // tiles on screen: only those are subscribed

function buildGrid() {
  const grid = $('grid');
  for (const tile of tiles.values()) tile.player.destroy();
  tiles.clear();
  grid.replaceChildren(...cameras.map(({ id, name }) => {
    const figure = document.createElement('figure');
    figure.className = 'tile';
    figure.dataset.camera = id;
    figure.innerHTML = '<div></div><div class="reason" hidden></div><figcaption><b></b><span class="fps muted"></span><span class="state"></span></figcaption>';
    figure.querySelector('b').textContent = name;
    figure.addEventListener('click', () => {
      location.hash = '#/camera/' + id;
    });
    tiles.set(id, { figure, player: live.player(id, figure.firstElementChild, { fps: TILE_FPS }) });
    tileObserver.observe(figure);
    renderTileStatus(id, statuses[id]);
    return figure;
  }));
}

function renderTileStatus(id, status) {
  const tile = tiles.get(id);
  if (!tile || !status) return;
  const state = tile.figure.querySelector('.state');
  state.textContent = status.status;
  state.dataset.state = status.status;
  tile.figure.querySelector('.fps').textContent = number(status.fps, 0) + ' fps';
  const reason = tile.figure.querySelector('.reason');
  reason.hidden = status.status === 'Streaming';
  reason.textContent = status.status + (status.camera?.reason ? ': ' + status.camera.reason : '');
}

// Only tiles on screen (and only while the page is visible) are subscribed: a scrolled-away or
// background tab costs the server and the network nothing.
const tileObserver = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    const id = entry.target.dataset.camera;
    if (entry.isIntersecting) visible.add(id);
    else visible.delete(id);
  }
  subscribeVideo();
});
document.addEventListener('visibilitychange', subscribeVideo);

/** Subscribes what is on screen: the tiles in view on the grid, or the camera shown full size. */
function subscribeVideo() {
  const grid = shown === undefined && cameras.length > 1 && !document.hidden;
  for (const [id, tile] of tiles) tile.player.active = grid && visible.has(id);
  if (fullView) fullView.active = shown !== undefined && !document.hidden;
  live.update();
}

// ---- Formatting ---------------------------------------------------------------------------
function number(value, digits = 0) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—';
}

// Accepts seconds or milliseconds since the epoch, or an ISO string; shows local hh:mm:ss.
function clock(timestamp) {
  const ms = typeof timestamp === 'number' ? (timestamp < 1e12 ? timestamp * 1000 : timestamp) : Date.parse(timestamp);
  return Number.isFinite(ms) ? new Date(ms).toLocaleTimeString([], { hour12: false }) : '—';
}
