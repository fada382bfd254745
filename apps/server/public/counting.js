// Counting on the dashboard: the counts per line and zone, the recent tracked objects with their
// snapshots, and an editor that draws a camera's lines and zones on its video and saves them into
// the server's config (PUT api/cameras/<id>/areas). Uses dashboard.js's globals: $, socket,
// cameras, statuses, shown (the camera shown full size), clock.
//
// What the server sends (see the README's "Counting"):
//   counts_update  the /api/counts body: per camera, per line { today: { in, out }, total: { in, out } }
//                  (each by class), per zone { occupancy, entered_today, entered_total }
//   event          { type: new | update | end, change, event: { id, camera, track_id, class_name,
//                  started_at, ended_at, lines, zones, snapshot } }
'use strict';

const RECENT_OBJECTS = 20;

// ---- Counts -------------------------------------------------------------------------------
let lastCounts;

async function loadCounts() {
  const response = await fetch('api/counts', { cache: 'no-store' });
  if (response.ok) renderCounts(await response.json());
}

function renderCounts(counts) {
  lastCounts = counts;
  const sum = (byClass) => Object.values(byClass ?? {}).reduce((a, b) => a + b, 0);
  const items = [];
  const many = cameras.length > 1;
  for (const [id, camera] of Object.entries(counts.cameras ?? {})) {
    const where = many ? (cameras.find((c) => c.id === id)?.name ?? id) + ' · ' : '';
    for (const [name, line] of Object.entries(camera.lines)) {
      const scope = counts.daily_reset ? line.today : line.total;
      items.push({ id, text: where + name, value: 'in ' + sum(scope.in) + ' · out ' + sum(scope.out) });
    }
    for (const [name, zone] of Object.entries(camera.zones)) {
      items.push({ id, text: where + name, value: sum(zone.occupancy) + ' now · ' + sum(counts.daily_reset ? zone.entered_today : zone.entered_total) + ' entered' });
    }
  }
  $('counts-panel').hidden = items.length === 0;
  $('counts').replaceChildren(...items.map(({ id, text, value }) => {
    const li = document.createElement('li');
    li.dataset.camera = id;
    li.innerHTML = '<span></span>: <b></b>';
    li.children[0].textContent = text;
    li.children[1].textContent = value;
    return li;
  }));
  if (items.length) $('counts-panel').classList.add('live');
}

socket.on('counts_update', renderCounts);
socket.on('connect', () => void loadCounts());

// ---- Recent objects -----------------------------------------------------------------------
const objects = new Map(); // event id → event, newest first when rendered

async function loadObjects() {
  const response = await fetch('api/events?limit=' + RECENT_OBJECTS, { cache: 'no-store' });
  if (!response.ok) return;
  objects.clear();
  for (const event of (await response.json()).events) objects.set(event.id, event);
  renderObjects();
}

socket.on('connect', () => void loadObjects());
socket.on('event', ({ event }) => {
  objects.set(event.id, event);
  renderObjects();
});

function renderObjects() {
  const newest = [...objects.values()].sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at)).slice(0, RECENT_OBJECTS);
  for (const id of objects.keys()) if (!newest.some((e) => e.id === id)) objects.delete(id);
  $('objects-panel').hidden = newest.length === 0;
  $('objects').replaceChildren(...newest.map((event) => {
    const li = document.createElement('li');
    li.dataset.event = String(event.id);
    li.innerHTML = '<img alt=""><div><b></b><small></small></div>';
    const img = li.querySelector('img');
    // A snapshot improves while the object is tracked: the URL changes with it, so the browser asks again.
    if (event.snapshot) img.src = event.snapshot + '?at=' + encodeURIComponent(event.best_at ?? '');
    img.alt = event.class_name + ' #' + event.track_id;
    const camera = cameras.length > 1 ? ' on ' + (cameras.find((c) => c.id === event.camera)?.name ?? event.camera) : '';
    li.querySelector('b').textContent = event.class_name + ' #' + event.track_id + camera;
    const did = [...event.lines.map((c) => c.line + ' ' + c.direction), ...event.zones.map((z) => 'in ' + z.zone)];
    li.querySelector('small').textContent = clock(event.started_at) + (event.ended_at ? '–' + clock(event.ended_at) : ' · here now') + (did.length ? ' · ' + did.join(', ') : '');
    return li;
  }));
  if (newest.length) $('objects-panel').classList.add('live');
}

// ---- The line and zone editor -------------------------------------------------------------
// On the camera shown full size: click two points for a line (feet crossing it from the right of
// from→to to its left count "in"), points then "Finish zone" for a zone; Save writes them into the
// config file and the server counts on them at once.
const editor = $('areas-editor');
const SVG = 'http://www.w3.org/2000/svg';
let draft; // { lines, zones } being edited, or undefined
let drawing; // { kind: 'line' | 'zone', points: [[x, y], …] } while a shape is being drawn

/** The picture's size in camera pixels, and where the picture is on the page (object-fit: contain). */
function pictureBox() {
  // The player shows a canvas, or a <video> under MSE; the editor is placed within its own parent.
  const media = document.querySelector('#video canvas.picture:not([hidden]), #video video:not([hidden])') ?? $('video');
  const status = statuses[shown]?.camera;
  const width = status?.width || media.videoWidth || media.width;
  const height = status?.height || media.videoHeight || media.height;
  const box = media.getBoundingClientRect();
  const parent = editor.parentElement.getBoundingClientRect();
  const scale = Math.min(box.width / width, box.height / height);
  return { width, height, scale, left: box.left - parent.left + (box.width - width * scale) / 2, top: box.top - parent.top + (box.height - height * scale) / 2 };
}

function toCamera(event) {
  const box = pictureBox();
  const rect = editor.getBoundingClientRect();
  const x = (event.clientX - rect.left) / box.scale;
  const y = (event.clientY - rect.top) / box.scale;
  return [Math.round(Math.min(box.width, Math.max(0, x))), Math.round(Math.min(box.height, Math.max(0, y)))];
}

async function startEditing() {
  if (shown === undefined) return;
  const response = await fetch('api/cameras/' + shown + '/areas', { cache: 'no-store' });
  if (!response.ok) return hint('cannot read this camera\'s lines and zones (' + response.status + ')');
  draft = await response.json();
  $('areas-edit').hidden = true;
  $('areas-tools').hidden = false;
  editor.toggleAttribute('hidden', false); // an <svg> has no .hidden property of its own
  hint('');
  drawEditor();
}

function stopEditing() {
  draft = undefined;
  drawing = undefined;
  $('areas-edit').hidden = false;
  $('areas-tools').hidden = true;
  $('finish-zone').hidden = true;
  editor.toggleAttribute('hidden', true);
}

function hint(text) {
  $('areas-hint').textContent = text;
}

function nextName(kind) {
  const typed = $('area-name').value.trim();
  if (typed) return typed;
  const taken = new Set(draft[kind + 's'].map((a) => a.name));
  for (let n = 1; ; n++) if (!taken.has(kind + ' ' + n)) return kind + ' ' + n;
}

editor.addEventListener('click', (event) => {
  if (!drawing) return;
  drawing.points.push(toCamera(event));
  if (drawing.kind === 'line' && drawing.points.length === 2) {
    draft.lines.push({ name: nextName('line'), from: drawing.points[0], to: drawing.points[1] });
    drawing = undefined;
    $('area-name').value = '';
    hint('');
  }
  drawEditor();
});

function finishZone() {
  if (drawing?.kind !== 'zone' || drawing.points.length < 3) return hint('a zone needs at least 3 points');
  draft.zones.push({ name: nextName('zone'), points: drawing.points });
  drawing = undefined;
  $('finish-zone').hidden = true;
  $('area-name').value = '';
  hint('');
  drawEditor();
}

$('areas-edit').addEventListener('click', () => void startEditing());
$('areas-cancel').addEventListener('click', stopEditing);
$('draw-line').addEventListener('click', () => {
  drawing = { kind: 'line', points: [] };
  hint('click where the line starts, then where it ends ("in" is towards the right of start → end)');
});
$('draw-zone').addEventListener('click', () => {
  drawing = { kind: 'zone', points: [] };
  $('finish-zone').hidden = false;
  hint('click the corners, then Finish zone');
});
$('finish-zone').addEventListener('click', finishZone);
$('areas-save').addEventListener('click', async () => {
  const response = await fetch('api/cameras/' + shown + '/areas', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(draft) });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) return hint('not saved: ' + (answer.problems?.join('; ') ?? answer.error ?? response.status));
  const camera = shown;
  stopEditing();
  void loadCounts();
  // The player draws the saved lines and zones over the video from now on.
  document.dispatchEvent(new CustomEvent('cctv:areas', { detail: { camera } }));
});

/** The draft's lines (with an arrow towards "in") and zones, and the shape being drawn, over the picture. */
function drawEditor() {
  if (!draft) return;
  const box = pictureBox();
  editor.setAttribute('width', String(box.width * box.scale));
  editor.setAttribute('height', String(box.height * box.scale));
  editor.style.left = box.left + 'px';
  editor.style.top = box.top + 'px';
  const px = ([x, y]) => [x * box.scale, y * box.scale];
  const shapes = [];
  const shape = (tag, attributes) => {
    const element = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
    shapes.push(element);
    return element;
  };
  for (const zone of draft.zones) {
    shape('polygon', { class: 'zone', points: zone.points.map((p) => px(p).join(',')).join(' ') });
    const [x, y] = px(zone.points[0]);
    shape('text', { x: x + 4, y: y + 16 }).textContent = zone.name;
  }
  for (const line of draft.lines) {
    const [x0, y0] = px(line.from);
    const [x1, y1] = px(line.to);
    shape('line', { class: 'line', x1: x0, y1: y0, x2: x1, y2: y1 });
    // The "in" side: the normal (dy, −dx) of from → to.
    const length = Math.hypot(x1 - x0, y1 - y0) || 1;
    const [mx, my] = [(x0 + x1) / 2, (y0 + y1) / 2];
    const [nx, ny] = [(y1 - y0) / length, -(x1 - x0) / length];
    shape('line', { class: 'line', x1: mx, y1: my, x2: mx + nx * 28, y2: my + ny * 28 });
    shape('text', { x: mx + nx * 34, y: my + ny * 34 + 5 }).textContent = 'in';
    shape('text', { x: x0 + 4, y: y0 + 16 }).textContent = line.name;
  }
  if (drawing?.points.length) shape('polyline', { class: 'draft', points: drawing.points.map((p) => px(p).join(',')).join(' ') });
  editor.replaceChildren(...shapes);
  $('areas-list').replaceChildren(...[...draft.lines.map((a) => ['lines', a]), ...draft.zones.map((a) => ['zones', a])].map(([kind, area]) => {
    const li = document.createElement('li');
    li.textContent = (kind === 'lines' ? 'line ' : 'zone ') + area.name;
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = '×';
    remove.title = 'remove';
    remove.addEventListener('click', () => {
      draft[kind] = draft[kind].filter((a) => a !== area);
      drawEditor();
    });
    li.append(remove);
    return li;
  }));
}

window.addEventListener('resize', drawEditor);
// Another camera, or the grid: an edit in progress is dropped, and the toolbar shows only with a camera.
document.addEventListener('cctv:view', ({ detail }) => {
  stopEditing();
  $('areas-toolbar').hidden = detail.camera === undefined;
});
