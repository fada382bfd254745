// The reference dashboard client: one MJPEG <img>, one Socket.IO connection, no framework.
//
// What the server sends (see the README's API section):
//   status_update      the /api/status body: status, fps, frame_count, camera{state,reason,…},
//                      stream{clients,frames_dropped}, and, when those features run,
//                      detection{state,reason,model,fps,infer_ms} and integrations{name:{…}}
//   stats_update       the /api/stats body: detection_count, fps, inbound, outbound
//   detections_update  { seq, timestamp, detections: [{ class_id, class_name, confidence, box }] }
// What a client may send:
//   request_stats      answered with stats_update
//
// Every URL here is relative to the page, so it also works behind a reverse proxy or tunnel that
// serves this server under a path prefix (https://example.com/cctv/ → this server's /).
'use strict';

const $ = (id) => document.getElementById(id);
const video = $('video');
const RECENT_EVENTS = 20;

// ---- Socket.IO ----------------------------------------------------------------------------
// The page is at <prefix>/, so Socket.IO is at <prefix>/socket.io/. It reconnects by itself.
const prefix = location.pathname.replace(/[^/]*$/, '');
const socket = io({ path: prefix + 'socket.io/' });
let wasDisconnected = false;

socket.on('connect', () => {
  showConnection('live', 'live');
  // The server pushes stats every second; asking once makes the counters show at once.
  socket.emit('request_stats');
  // Back after the server restarted: the old MJPEG connection is gone, open a new one.
  if (wasDisconnected) reloadVideo();
  wasDisconnected = false;
});
socket.on('disconnect', () => {
  wasDisconnected = true;
  showConnection('down', 'disconnected, reconnecting…');
  for (const panel of document.querySelectorAll('.panel')) panel.classList.remove('live');
});
socket.on('status_update', renderStatus);
socket.on('stats_update', renderStats);
socket.on('detections_update', addDetectionEvent);

function showConnection(state, text) {
  $('connection').dataset.state = state;
  $('connection').textContent = text;
}

// ---- Video --------------------------------------------------------------------------------
// The <img> keeps its MJPEG connection open while the camera is down (the server re-sends the
// last frame). It needs a new one when the connection broke: a server restart, a proxy timeout.
let retryTimer;
function reloadVideo() {
  clearTimeout(retryTimer);
  // A new URL each time: the browser must not answer from its cache or reuse the dead request.
  video.src = 'api/stream/video?t=' + Date.now();
}
video.addEventListener('error', () => {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(reloadVideo, 2000);
});

// ---- Status -------------------------------------------------------------------------------
let cameraState;

function renderStatus(status) {
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
  if (camera.width && camera.height) video.style.aspectRatio = camera.width + ' / ' + camera.height;
  // The camera is back: reconnect the video too, in case something between us dropped the stream.
  if (camera.state === 'Streaming' && cameraState && cameraState !== 'Streaming') reloadVideo();
  cameraState = camera.state;

  $('video-fps').textContent = number(status.fps, 1) + ' fps';
  $('viewers').textContent = number(status.stream?.clients);
  $('frames').textContent = number(status.frame_count) + (status.stream ? ' (' + number(status.stream.frames_dropped) + ' dropped)' : '');
  $('detection').textContent = describeDetection(status.detection);
  renderIntegrations(status.integrations);
  $('status-panel').classList.add('live');
}

// Optional: absent until the server runs detection.
function describeDetection(detection) {
  if (!detection) return '—';
  const model = detection.model ? ' · ' + detection.model.split('/').pop() : '';
  if (detection.state === 'running') return number(detection.fps, 1) + ' fps · ' + number(detection.infer_ms, 0) + ' ms' + model;
  return detection.state + (detection.reason ? ': ' + detection.reason : '');
}

// Optional: one line per integration (sheets, telegram, mqtt…), hidden when there are none.
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
// One detections_update per detector result (several a second); the list keeps the last 20
// that found something, and a result that repeats the one before only bumps its count.
const events = [];

function addDetectionEvent(update) {
  if (!update.detections?.length) return;
  // "person ×2, car" for the classes in this result.
  const counts = {};
  for (const d of update.detections) counts[d.class_name] = (counts[d.class_name] ?? 0) + 1;
  const classes = Object.entries(counts).map(([name, n]) => (n > 1 ? name + ' ×' + n : name)).join(', ');
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

// ---- Formatting ---------------------------------------------------------------------------
function number(value, digits = 0) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—';
}

// Accepts seconds or milliseconds since the epoch, or an ISO string; shows local hh:mm:ss.
function clock(timestamp) {
  const ms = typeof timestamp === 'number' ? (timestamp < 1e12 ? timestamp * 1000 : timestamp) : Date.parse(timestamp);
  return Number.isFinite(ms) ? new Date(ms).toLocaleTimeString([], { hour12: false }) : '—';
}
