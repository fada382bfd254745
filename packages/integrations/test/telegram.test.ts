import { jpegSize, startTelegramApi, type FakeTelegram } from '@cctv/testbed';
import { afterEach, describe, expect, it } from 'vitest';
import type { Integrations, ObjectAlert } from '../src/index.ts';
import { captureLog, integrations, jpeg, outboxFile, until } from './helpers.ts';

const CHAT = 1001;
let fake: FakeTelegram | undefined;
let running: Integrations[] = [];

afterEach(async () => {
  await Promise.all(running.map((i) => i.stop()));
  running = [];
  await fake?.stop();
  fake = undefined;
});

function telegram(f: FakeTelegram, extra: Parameters<typeof integrations>[0] = {}) {
  const i = integrations({ ...extra, telegram: { enabled: true, botToken: f.token, chatId: String(CHAT), apiRoot: f.apiRoot, ...extra.telegram } });
  running.push(i);
  i.start();
  return i;
}

/** A tracked object appearing on a camera, as the server reports it. */
const object = (objectId: string, fields: Partial<ObjectAlert> = {}): ObjectAlert => ({
  at: Date.now(),
  camera: 'gate',
  objectId,
  trackId: Number(objectId.replace(/\D/g, '')) || 1,
  className: 'person',
  confidence: 0.9,
  what: { kind: 'appeared' },
  ...fields,
});

describe('Telegram alerts', () => {
  it('alerts once per object, with the frame as a real JPEG photo, as multipart the Bot API accepts', async () => {
    fake = startTelegramApi({ chats: [CHAT] });
    const photo = await jpeg(320, 240);
    const i = telegram(fake, { telegram: { alertClasses: ['person'], minConfidence: 0.5 } });
    i.onObject(object('e1', { trackId: 12, snapshot: photo }));
    await fake.waitFor(() => fake!.delivered.length === 1, 5000, 'the alert');
    const [alert] = fake.delivered;
    expect(alert!.method).toBe('sendPhoto');
    expect(String(alert!.params.chat_id)).toBe(String(CHAT));
    expect(alert!.params.caption).toMatch(/^🚨 person #12 \(90 %\) on camera gate at /);
    expect(alert!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(alert!.headers['content-encoding']).toBeUndefined();
    expect(alert!.photo!.type).toBe('image/jpeg');
    expect(jpegSize(alert!.photo!.bytes)).toEqual({ width: 320, height: 240 });
    expect(alert!.photo!.bytes).toEqual(photo);
    // The fake records the request before our side has read the answer and marked it delivered.
    await fake.waitFor(() => i.status().telegram.queued === 0, 5000, 'the alert marked delivered');
    expect(i.status().telegram).toMatchObject({ state: 'connected', queued: 0, dropped: 0, last_error: null });

    // The same person again (still there, or back in a zone), another class, below the confidence floor: no alert.
    i.onObject(object('e1', { snapshot: photo }));
    i.onObject(object('e2', { className: 'car', confidence: 0.99 }));
    i.onObject(object('e3', { camera: 'yard', confidence: 0.3 }));
    await Bun.sleep(200);
    expect(fake.delivered).toHaveLength(1);
    // Another person: an alert of its own (no cooldown by default).
    i.onObject(object('e4', { trackId: 13 }));
    await fake.waitFor(() => fake!.delivered.length === 2, 5000, 'the second object');
    expect(fake.delivered[1]!.params.text).toMatch(/^🚨 person #13 /);
  });

  it('alerts on entering a zone or crossing a line when alert_on says so, and spaces one class on one camera by cooldown_s', async () => {
    fake = startTelegramApi({ chats: [CHAT] });
    const zone = telegram(fake, { telegram: { alertOn: 'zone', cooldownS: 60 } });
    zone.onObject(object('z1'));
    zone.onObject(object('z1', { what: { kind: 'crossed', line: 'door', direction: 'in' } }));
    zone.onObject(object('z1', { what: { kind: 'entered', zone: 'counter' } }));
    zone.onObject(object('z2', { what: { kind: 'entered', zone: 'counter' } }));
    await fake.waitFor(() => fake!.delivered.length === 1, 5000, 'the zone alert');
    await Bun.sleep(200);
    expect(fake.delivered.map((c) => c.params.text)).toEqual([expect.stringMatching(/^🚨 person #1 \(90 %\) entered counter on camera gate/)]);
    await zone.stop();
    const line = telegram(fake, { telegram: { alertOn: 'line' } });
    line.onObject(object('l7', { what: { kind: 'crossed', line: 'entrance', direction: 'out' } }));
    await fake.waitFor(() => fake!.delivered.length === 2, 5000, 'the line alert');
    expect(fake.delivered[1]!.params.text).toMatch(/^🚨 person #7 \(90 %\) crossed entrance \(out\) on camera gate/);
  });

  it('says when the camera goes down and when it comes back', async () => {
    fake = startTelegramApi({ chats: [CHAT] });
    const i = telegram(fake);
    i.onCameraStatus('Connecting', null);
    i.onCameraStatus('Streaming', null);
    i.onCameraStatus('Reconnecting', 'Connection refused');
    i.onCameraStatus('Connecting', null);
    i.onCameraStatus('Reconnecting', 'Connection refused');
    i.onCameraStatus('Streaming', null);
    await fake.waitFor(() => fake!.delivered.length === 2, 5000, 'down and back');
    expect(fake.delivered.map((c) => c.params.text)).toEqual([expect.stringMatching(/down \(Reconnecting: Connection refused\)/), expect.stringMatching(/is back \(down for \d+ s\)/)]);
  });

  it('tells cameras apart: each goes down and comes back on its own, named with its id', async () => {
    fake = startTelegramApi({ chats: [CHAT] });
    const i = telegram(fake);
    i.onCameraStatus('Streaming', null, 'Front door', 'door');
    i.onCameraStatus('Streaming', null, 'yard', 'yard');
    i.onCameraStatus('Reconnecting', 'Connection refused', 'Front door', 'door');
    // The yard camera never went down: its Streaming says nothing; the door's says it is back.
    i.onCameraStatus('Streaming', null, 'yard', 'yard');
    i.onCameraStatus('Streaming', null, 'Front door', 'door');
    i.onObject(object('y1', { camera: 'yard', cameraId: 'yard' }));
    await fake.waitFor(() => fake!.delivered.length === 3, 5000, 'down, back, alert');
    expect(fake.delivered.map((c) => c.params.text)).toEqual([
      expect.stringMatching(/^⚠️ Camera Front door \[door\] is down \(Reconnecting: Connection refused\)/),
      expect.stringMatching(/^✅ Camera Front door \[door\] is back/),
      expect.stringMatching(/^🚨 person #1 \(90 %\) on camera yard at /),
    ]);
  });

  it('answers /status and /snapshot in the configured chat, and ignores another chat (logged, without the token)', async () => {
    fake = startTelegramApi({ chats: [CHAT, 999] });
    const log = captureLog();
    const frame = await jpeg(160, 120);
    const asked: Array<string | undefined> = [];
    const snapshot = async (camera: string | undefined) => {
      asked.push(camera);
      return camera === 'nowhere' ? { text: 'No camera "nowhere"; cameras: door' } : { jpeg: frame, camera: 'door' };
    };
    telegram(fake, { log, status: () => 'Camera: Streaming at 15 fps', snapshot });
    fake.userSays(999, '/status');
    fake.userSays(CHAT, '/status@cctv_test_bot');
    fake.userSays(CHAT, '/snapshot');
    fake.userSays(CHAT, 'hello');
    fake.userSays(CHAT, '/snapshot nowhere');
    await fake.waitFor(() => fake!.delivered.length === 3, 5000, 'three answers');
    await Bun.sleep(200);
    expect(fake.delivered.map((c) => [c.method, Number(c.params.chat_id)])).toEqual([
      ['sendMessage', CHAT],
      ['sendPhoto', CHAT],
      ['sendMessage', CHAT],
    ]);
    expect(fake.delivered[0]!.params.text).toBe('Camera: Streaming at 15 fps');
    expect(jpegSize(fake.delivered[1]!.photo!.bytes)).toEqual({ width: 160, height: 120 });
    expect(fake.delivered[1]!.params.caption).toMatch(/^door at /);
    expect(fake.delivered[2]!.params.text).toBe('No camera "nowhere"; cameras: door');
    expect(asked).toEqual([undefined, 'nowhere']);
    expect(log.text()).toMatch(/ignored \/status from chat 999/);
    expect(log.text()).not.toContain(fake.token.split(':')[1]);
    // Long polling confirms what it answered: the next getUpdates asks for a later offset.
    const offsets = fake.calls.filter((c) => c.method === 'getUpdates').map((c) => Number(c.params.offset ?? 0));
    expect(Math.max(...offsets)).toBe(6);
  });

  it('keeps alerts while Telegram is away and delivers each exactly once, in order, even across a restart of ours', async () => {
    fake = startTelegramApi({ chats: [CHAT] });
    const path = outboxFile();
    const log = captureLog();
    const photo = await jpeg();
    await fake.down();
    const first = telegram(fake, { outboxPath: path, log });
    for (const n of [1, 2, 3]) first.onObject(object(`o${n}`, { camera: `cam${n}`, snapshot: photo }));
    first.onCameraStatus('Streaming', null, 'cam4');
    first.onCameraStatus('Failed', 'no route', 'cam4');
    await until(() => first.status().telegram.last_error !== null && first.status().telegram.queued === 4, 5000, 'queued while away');
    expect(first.status().telegram.last_error).toMatch(/ECONNREFUSED|Unable to connect|refused/i);
    await first.stop();
    running = [];

    // Our process restarts while Telegram is still away, then Telegram comes back.
    const second = telegram(fake, { outboxPath: path, log });
    expect(second.status().telegram.queued).toBe(4);
    second.onObject(object('o6', { camera: 'cam6', snapshot: photo }));
    fake.up();
    await fake.waitFor(() => fake!.delivered.length >= 5, 10_000, 'all five');
    await Bun.sleep(300);
    const captions = fake.delivered.map((c) => String(c.params.caption ?? c.params.text));
    expect(captions.map((c) => /cam\d/.exec(c)![0])).toEqual(['cam1', 'cam2', 'cam3', 'cam4', 'cam6']);
    expect(fake.delivered.map((c) => c.method)).toEqual(['sendPhoto', 'sendPhoto', 'sendPhoto', 'sendMessage', 'sendPhoto']);
    expect(second.status().telegram).toMatchObject({ state: 'connected', queued: 0 });
    expect(log.text()).not.toContain(fake.token);
    expect(log.text()).not.toContain(fake.token.split(':')[1]);
  });
});

describe('Telegram answering no', () => {
  it('waits as long as a 429 says (parameters.retry_after), then delivers once', async () => {
    fake = startTelegramApi({ chats: [CHAT] });
    fake.failNext('sendMessage', 1, { error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
    const i = telegram(fake);
    i.onCameraStatus('Streaming', null);
    i.onCameraStatus('Reconnecting', 'timeout');
    await fake.waitFor(() => fake!.delivered.length === 1, 5000, 'the message after the wait');
    const attempts = fake.calls.filter((c) => c.method === 'sendMessage');
    expect(attempts).toHaveLength(2);
    // Backoff alone would have retried after ~50 ms; Telegram asked for 1 s.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('stops on "chat not found", says so in the status, keeps the message and does not retry it forever', async () => {
    fake = startTelegramApi({ chats: [CHAT] });
    const log = captureLog();
    const i = telegram(fake, { log, telegram: { chatId: '-100555', commands: false } });
    i.onCameraStatus('Streaming', null);
    i.onCameraStatus('Failed', 'gone');
    await until(() => i.status().telegram.state === 'error', 5000, 'error state');
    await Bun.sleep(500);
    expect(fake.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(1);
    const status = i.status().telegram;
    expect(status.last_error).toMatch(/400 Bad Request: chat not found.*chat_id/);
    expect(status.queued).toBe(1);
    expect(log.text()).toMatch(/chat not found/);
  });

  it('reports a wrong bot token (401) without ever printing it', async () => {
    fake = startTelegramApi({ chats: [CHAT] });
    const log = captureLog();
    const wrong = '987654321:AAwrongTokenWrongTokenWrongToken123';
    const i = integrations({ log, telegram: { enabled: true, botToken: wrong, chatId: CHAT, apiRoot: fake.apiRoot } });
    running.push(i);
    i.start();
    i.onCameraStatus('Streaming', null);
    i.onCameraStatus('Failed', 'gone');
    await until(() => i.status().telegram.state === 'error', 5000, 'error state');
    expect(i.status().telegram.last_error).toMatch(/401 Unauthorized/);
    expect(JSON.stringify(i.status())).not.toContain('wrongToken');
    expect(log.text()).not.toContain('wrongToken');
  });

  it('retries a 5xx with backoff and keeps order', async () => {
    fake = startTelegramApi({ chats: [CHAT] });
    fake.failNext('sendMessage', 3, { error_code: 502, description: 'Bad Gateway' });
    const i = telegram(fake, { telegram: { commands: false } });
    for (const n of [1, 2, 3]) {
      i.onCameraStatus('Streaming', null, `cam${n}`);
      i.onCameraStatus('Reconnecting', 'x', `cam${n}`);
    }
    for (const n of [1, 2, 3]) i.onCameraStatus('Streaming', null, `cam${n}`);
    await fake.waitFor(() => fake!.delivered.length === 6, 10_000, 'all six');
    expect(fake.delivered.map((c) => /Camera (cam\d) is (\w+)/.exec(String(c.params.text))!.slice(1).join(' '))).toEqual(['cam1 down', 'cam2 down', 'cam3 down', 'cam1 back', 'cam2 back', 'cam3 back']);
  });
});
