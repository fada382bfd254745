import { startGoogleApis, type FakeGoogle } from '@cctv/testbed';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Outbox, ROW_COLUMNS, type EventRow, type Integrations, type SheetsSettings } from '../src/index.ts';
import { captureLog, dir, integrations, jpeg, outboxFile, until } from './helpers.ts';

let google: FakeGoogle;
let running: Integrations[] = [];

beforeEach(() => {
  google = startGoogleApis();
});

afterEach(async () => {
  await Promise.all(running.map((i) => i.stop()));
  running = [];
  await google.stop();
});

function sheets(settings: Partial<SheetsSettings>, extra: Parameters<typeof integrations>[0] = {}) {
  const i = integrations({ ...extra, sheets: { enabled: true, pollIntervalS: 0.2, apiRoot: google.apiRoot, ...settings } });
  running.push(i);
  i.start();
  return i;
}

const api = (extra: Partial<SheetsSettings> = {}): Partial<SheetsSettings> => ({ credentialsFile: google.writeKeyFile(dir), spreadsheetId: google.spreadsheetId, ...extra });
const event = (camera: string, className = 'person', at = Date.now()) => ({ at, camera, detections: [{ className, confidence: 0.87 }, { className, confidence: 0.6 }] });
const appendRequests = () => google.requests.filter((r) => r.path.endsWith(':append'));

describe('Google Sheets through an Apps Script web app', () => {
  it('polls the counts and posts rows as JSON', async () => {
    google.webappCounts = { inbound: 12, outbound: 7 };
    const i = sheets({ webappUrl: google.webappUrl });
    await until(() => i.counts().inbound === 12, 5000, 'first counts');
    expect(i.counts()).toEqual({ inbound: 12, outbound: 7 });
    google.webappCounts = { inbound: 13, outbound: 9, note: 'extra keys are fine' };
    await until(() => i.counts().inbound === 13, 5000, 'new counts');
    expect(i.counts()).toEqual({ inbound: 13, outbound: 9 });

    const at = Date.parse('2026-11-25T08:30:00Z');
    i.onDetections(event('gate', 'person', at));
    await until(() => google.webappRows.length === 1, 5000, 'the row');
    expect(google.webappRows[0]).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), time: '2026-11-25T08:30:00.000Z', camera: 'gate', camera_id: 'gate', class: 'person', count: 2, confidence: 0.87, snapshot: '' });
    const post = google.requests.find((r) => r.method === 'POST')!;
    expect(post.headers['content-type']).toBe('application/json');
    expect(post.headers['content-encoding']).toBeUndefined();
    expect(i.status().sheets).toMatchObject({ state: 'connected', mode: 'webapp', queued: 0, dropped: 0, last_error: null });
  });

  it('says clearly when the web app answers something that is not the counts', async () => {
    google.webappCounts = '<!DOCTYPE html><html><title>Sign in</title></html>';
    const i = sheets({ webappUrl: google.webappUrl });
    await until(() => i.status().sheets.state === 'error', 5000, 'error state');
    expect(i.status().sheets.last_error).toMatch(/not JSON.*expected \{"inbound": 12, "outbound": 7\}/);
    google.webappCounts = { inbound: 'twelve', outbound: 7 };
    await until(() => /\/inbound/.test(i.status().sheets.last_error ?? ''), 5000, 'shape error');
    expect(i.status().sheets.last_error).toMatch(/"inbound":"twelve".*\/inbound expected number/);
    expect(i.counts()).toEqual({ inbound: 0, outbound: 0 });
    google.webappCounts = { inbound: 1, outbound: 2 };
    await until(() => i.status().sheets.state === 'connected', 5000, 'recovery');
  });

  it('keeps rows the web app answered with an error page (200, not JSON), and sends them once it takes them', async () => {
    const i = sheets({ webappUrl: google.webappUrl, pollIntervalS: 60 });
    await until(() => i.status().sheets.state === 'connected', 5000, 'first counts');
    // Apps Script answers a failing script with 200 and an HTML page: nothing was appended.
    google.failNext('webapp', 2, { status: 200, body: '<!DOCTYPE html><html><title>Error</title><body>TypeError: Cannot read properties of null</body></html>' });
    i.onDetections(event('gate'));
    await until(() => /not JSON/.test(i.status().sheets.last_error ?? ''), 5000, 'the refusal');
    expect(google.webappRows).toEqual([]);
    await until(() => google.webappRows.length === 1, 10_000, 'the row, once the web app takes it');
    // The fake has the row before our side has read the answer and marked it delivered.
    await until(() => i.status().sheets.queued === 0, 5000, 'the row marked delivered');
    expect(i.status().sheets).toMatchObject({ queued: 0, dropped: 0 });
    expect(google.webappPosts.length).toBe(1);
  });
});

describe("line crossings and the server's own counts", () => {
  const crossing = (trackId: number, direction: 'in' | 'out' = 'in') => ({ at: Date.parse('2026-12-05T10:00:00Z') + trackId, camera: 'Front door', cameraId: 'door', line: 'entrance', direction, className: 'person', trackId });

  it('web app: posts a row per crossing, and writes the counts into the sheet instead of reading them', async () => {
    google.webappCounts = { inbound: 40, outbound: 30 };
    const i = sheets({ webappUrl: google.webappUrl, pollIntervalS: 0.2 });
    await until(() => i.counts().inbound === 40, 5000, 'the sheet counts, read');
    i.onCrossing(crossing(12));
    i.onCrossing(crossing(13, 'out'));
    i.setCounts({ inbound: 1, outbound: 1 });
    expect(i.counts()).toEqual({ inbound: 1, outbound: 1 });
    await until(() => google.webappCrossings.length === 2, 5000, 'the crossing rows');
    expect(google.webappCrossings[0]).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), time: '2026-12-05T10:00:00.012Z', camera: 'Front door', camera_id: 'door', line: 'entrance', direction: 'in', class: 'person', track: 12 });
    // The counts go in a moment after the change (the latest wins), and are not read back any more.
    i.setCounts({ inbound: 2, outbound: 1 });
    await until(() => JSON.stringify(google.webappCounts) === JSON.stringify({ inbound: 2, outbound: 1 }), 8000, 'the counts written');
    const posts = google.webappPosts.filter((p) => p.counts);
    expect(posts.map((p) => p.counts)).toEqual([{ inbound: 2, outbound: 1 }]);
    const reads = google.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/exec')).length;
    await Bun.sleep(600);
    expect(google.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/exec')).length).toBe(reads);
  });

  it('Sheets API: appends crossing rows to crossings_range and updates counts_range', async () => {
    google.ranges.set('Counts!A2:B2', [[5, 5]]);
    google.appended.set('Crossings!A:H', []);
    const i = sheets(api());
    await until(() => i.counts().inbound === 5, 5000, 'counts read');
    i.onCrossing(crossing(3));
    i.setCounts({ inbound: 7, outbound: 2 });
    await until(() => google.appended.get('Crossings!A:H')!.length === 1, 5000, 'the crossing row');
    expect(google.appended.get('Crossings!A:H')![0]).toEqual(['2026-12-05T10:00:00.003Z', 'Front door', 'entrance', 'in', 'person', 3, expect.stringMatching(/^[0-9a-f-]{36}$/), 'door']);
    await until(() => JSON.stringify(google.ranges.get('Counts!A2:B2')) === '[[7,2]]', 8000, 'counts_range updated');
    expect(i.status().sheets).toMatchObject({ state: 'connected', queued: 0 });
  });
});

describe('Google Sheets through the Sheets API with a service account', () => {
  it('gets a token with a signed JWT from the key file\'s token_uri, reads the counts and appends rows', async () => {
    google.ranges.set('Counts!A2:B2', [[21, '8']]);
    google.appended.set('Events!A:H', []);
    const photo = await jpeg();
    const snapshots = join(dir, 'snapshots');
    const i = sheets(api(), { snapshots: { dir: snapshots, keep: 10 } });
    await until(() => i.counts().inbound === 21, 5000, 'counts');
    expect(i.counts()).toEqual({ inbound: 21, outbound: 8 });
    expect(google.tokensIssued).toBe(1);

    i.onDetections({ ...event('gate', 'car', Date.parse('2026-11-25T09:00:00Z')), snapshot: photo });
    await until(() => google.appended.get('Events!A:H')!.length === 1, 5000, 'the row');
    const [row] = google.appended.get('Events!A:H')!;
    expect(ROW_COLUMNS).toEqual(['time', 'camera', 'class', 'count', 'confidence', 'snapshot', 'id', 'camera_id']);
    expect(row).toEqual(['2026-11-25T09:00:00.000Z', 'gate', 'car', 2, 0.87, '2026-11-25T09-00-00.000Z-gate.jpg', expect.stringMatching(/^[0-9a-f-]{36}$/), 'gate']);
    expect(readFileSync(join(snapshots, row![5] as string))).toEqual(Buffer.from(photo));
    expect(statSync(snapshots).mode & 0o777).toBe(0o700);
    expect(statSync(join(snapshots, row![5] as string)).mode & 0o777).toBe(0o600);
    const append = appendRequests()[0]!;
    expect(append.query).toMatchObject({ valueInputOption: 'RAW', insertDataOption: 'INSERT_ROWS' });
    expect(append.headers.authorization).toMatch(/^Bearer ya29\.test-/);
    expect(append.headers['content-encoding']).toBeUndefined();
    expect(i.status().sheets).toMatchObject({ state: 'connected', mode: 'api' });
    // One token serves every call until it expires.
    expect(google.tokensIssued).toBe(1);
    expect(existsSync(snapshots)).toBe(true);
  });

  it('reports bad credentials (the token endpoint refuses the JWT) and stops asking, keeping the rows', async () => {
    const log = captureLog();
    const i = sheets({ credentialsFile: google.writeKeyFile(dir, { wrongKey: true }), spreadsheetId: google.spreadsheetId }, { log });
    i.onDetections(event('gate'));
    await until(() => i.status().sheets.state === 'error', 5000, 'error state');
    await Bun.sleep(600);
    const tokenCalls = google.requests.filter((r) => r.path === '/token').length;
    expect(tokenCalls).toBeLessThanOrEqual(2);
    expect(i.status().sheets.last_error).toMatch(/400: invalid_grant: Invalid JWT Signature/);
    expect(i.status().sheets.queued).toBe(1);
    expect(log.text()).not.toMatch(/PRIVATE KEY|ya29/);
  });

  it('reports an unknown service account (401 invalid_client) the same way', async () => {
    const i = sheets({ credentialsFile: google.writeKeyFile(dir, { clientEmail: 'deleted@x.iam.gserviceaccount.com' }), spreadsheetId: google.spreadsheetId });
    await until(() => i.status().sheets.state === 'error', 5000, 'error state');
    expect(i.status().sheets.last_error).toMatch(/401: invalid_client: The OAuth client was not found/);
  });

  it('says which counts_range holds what, when it is not two numbers', async () => {
    google.ranges.set('Counts!A1:B1', [['inbound', 'outbound']]);
    const i = sheets(api({ countsRange: 'Counts!A1:B1' }));
    await until(() => i.status().sheets.state === 'error', 5000, 'error state');
    expect(i.status().sheets.last_error).toMatch(/counts_range Counts!A1:B1 holds \[\["inbound","outbound"\]\]; expected its first two cells to be numbers/);
  });

  it('waits as long as Retry-After says on a 429, then appends once', async () => {
    google.ranges.set('Counts!A2:B2', [[1, 1]]);
    google.appended.set('Events!A:H', []);
    const i = sheets(api({ pollIntervalS: 60 }));
    await until(() => i.counts().inbound === 1, 5000, 'first counts');
    google.failNext('sheets', 1, { status: 429, headers: { 'retry-after': '1' }, body: { error: { code: 429, message: "Quota exceeded for quota metric 'Write requests'", status: 'RESOURCE_EXHAUSTED' } } });
    i.onDetections(event('gate'));
    await until(() => google.appended.get('Events!A:H')!.length === 1, 5000, 'the row');
    const attempts = appendRequests();
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('keeps rows while Google is away and appends each exactly once, in order, across a restart of ours', async () => {
    google.ranges.set('Counts!A2:B2', [[1, 1]]);
    google.appended.set('Events!A:H', []);
    const path = outboxFile();
    const key = google.writeKeyFile(dir);
    await google.down();
    const first = sheets(api({ credentialsFile: key }), { outboxPath: path });
    for (const camera of ['a', 'b', 'c']) first.onDetections(event(camera));
    await until(() => first.status().sheets.last_error !== null, 5000, 'the failure');
    expect(first.status().sheets).toMatchObject({ state: 'disconnected', queued: 3 });
    await first.stop();
    running = [];

    const second = sheets(api({ credentialsFile: key }), { outboxPath: path });
    for (const camera of ['d', 'e']) second.onDetections(event(camera));
    google.up();
    await until(() => google.appended.get('Events!A:H')!.length >= 5, 10_000, 'five rows');
    await Bun.sleep(300);
    const rows = google.appended.get('Events!A:H')!;
    expect(rows.map((r) => r[1])).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(new Set(rows.map((r) => r[6])).size).toBe(5);
    // The backlog went out in one request.
    expect(appendRequests().length).toBeLessThanOrEqual(2);
    expect(second.status().sheets).toMatchObject({ state: 'connected', queued: 0 });
  });

  it('does not append a row twice when the process died between appending and marking it delivered', async () => {
    const path = outboxFile();
    const crashed = new Outbox({ path, maxEntries: 10 });
    // Rows queued by a version that wrote no camera_id: appended with that cell empty.
    const row: EventRow = { id: '11111111-2222-4333-8444-555555555555', time: '2026-11-25T10:00:00.000Z', camera: 'gate', class: 'person', count: 1, confidence: 0.9, snapshot: '' };
    const later = { ...row, id: '11111111-2222-4333-8444-666666666666', camera: 'yard' };
    crashed.add('sheets', row);
    crashed.add('sheets', later);
    crashed.sending([crashed.peek('sheets')[0]!.id]);
    crashed.close();
    // The append had reached the sheet before the crash.
    google.appended.set('Events!A:H', [ROW_COLUMNS.map((c) => row[c] ?? '')]);
    google.ranges.set('Counts!A2:B2', [[0, 0]]);

    const log = captureLog();
    const i = sheets(api(), { outboxPath: path, log });
    await until(() => i.status().sheets.queued === 0, 5000, 'outbox drained');
    expect(google.appended.get('Events!A:H')!.map((r) => r[1])).toEqual(['gate', 'yard']);
    expect(log.text()).toMatch(/1 row\(s\) were already in the sheet/);
  });
});
