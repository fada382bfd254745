import { describe, expect, it } from 'vitest';
import { HIDDEN, Redactor, redactUrl, urlPasswords } from '../src/index.ts';

/**
 * The one corpus of secrets: every line the server, an integration or a decoder might write, with
 * the secrets that must not survive redaction and what must still be readable.
 */
const CONFIGURED = ['my-configured-secret', 'a-long-enough-token-0123', 'bare-token-value-0000'];
const CORPUS: Array<{ text: string; hidden: string[]; kept?: string[] }> = [
  { text: 'ffmpeg: rtsp://admin:p%40ss-w0rd@cam.local:554/s: 401 Unauthorized', hidden: ['p%40ss-w0rd'], kept: ['rtsp://admin:***@cam.local:554/s', '401 Unauthorized'] },
  // A raw `@` in the password (ffmpeg and most cameras take it): hidden up to the last `@` of the authority.
  { text: 'camera rtsp://admin:p@ssw0rd99@10.0.0.21:554/stream1 Reconnecting', hidden: ['ssw0rd99', 'p@ss'], kept: ['rtsp://admin:***@10.0.0.21:554/stream1', 'Reconnecting'] },
  { text: '{"source":"rtsp://u:a@b@c@host/x","other":"http://h/p"}', hidden: ['a@b@c'], kept: ['rtsp://u:***@host/x', '"other":"http://h/p"'] },
  { text: '[rtsp @ 0x1] method DESCRIBE failed: 401 rtsp://admin:p%40ss@cam:554/x and http://u:v@h/', hidden: ['p%40ss', 'u:v@'], kept: ['http://u:***@h/', '[rtsp @ 0x1]'] },
  { text: 'POST https://api.telegram.org/bot123456789:AAHbotTokenThatIsLongEnough_abcdefgh/sendPhoto failed', hidden: ['AAHbotTokenThatIsLongEnough'], kept: ['/bot***/sendPhoto'] },
  { text: 'a stranger bot token 987654321:AAAnotherTokenNotInTheConfig_xyz012 too', hidden: ['AAAnotherTokenNotInTheConfig'] },
  { text: 'Authorization: Bearer a-long-enough-token-0123', hidden: ['a-long-enough-token-0123'], kept: ['Bearer ***'] },
  { text: 'Authorization: Bearer ya29.a0AfH6SMBx', hidden: ['ya29'] },
  { text: 'GET /api/status?token=bare-token-value-0000&fps=2', hidden: ['bare-token-value-0000'], kept: ['fps=2'] },
  { text: 'GET /api/status?fps=2&token=unknown-guess-123', hidden: ['unknown-guess-123'] },
  { text: 'cookie: cctv_session=abcDEF123.xyz; other=1', hidden: ['abcDEF123'], kept: ['other=1'] },
  { text: 'access_token=ya29.xyz&expires_in=3599', hidden: ['ya29.xyz'], kept: ['expires_in=3599'] },
  { text: '{"access_token":"ya29.abc","token_type":"Bearer"}', hidden: ['ya29.abc'] },
  { text: 'grant_type=jwt-bearer&assertion=eyJhbGciOiJSUzI1NiJ9.e30.sig', hidden: ['eyJhbGciOiJSUzI1NiJ9'] },
  { text: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n', hidden: ['MIIEvQ'] },
  { text: '{"private_key":"-----BEGIN PRIVATE KEY-----\\nMIIEv...\\n-----END PRIVATE KEY-----\\n"}', hidden: ['MIIEv'] },
  { text: 'truncated -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA', hidden: ['MIIEowIBAAKCAQEA'] },
  { text: 'rtsp://admin:hunter2@cam/1 and my-configured-secret', hidden: ['hunter2', 'my-configured-secret'] },
];

describe('Redactor', () => {
  const redactor = new Redactor(CONFIGURED);
  it.each(CORPUS)('hides the secrets of: $text', ({ text, hidden, kept = [] }) => {
    const out = redactor.redact(text);
    for (const secret of hidden) expect(out).not.toContain(secret);
    for (const part of kept) expect(out).toContain(part);
    expect(out).toContain(HIDDEN);
  });

  it('leaves text without secrets alone, token names and short numbers included', () => {
    for (const text of ['token dashboard logged in', 'camera Streaming at 15 fps, 1234 frames', 'rtsp://cam.local/stream', 'Bearer']) {
      expect(redactor.redact(text)).toBe(text);
    }
  });

  it('replaces a secret that contains another whole, and ignores values too short to be secrets', () => {
    const nested = new Redactor(['abcd', 'xxabcdxx', '', undefined, 'abc']);
    expect(nested.redact('xxabcdxx abcd abc')).toBe(`${HIDDEN} ${HIDDEN} abc`);
  });

  it('forgets the old values when replaced (a reloaded config)', () => {
    const changing = new Redactor(['first-secret-value']);
    changing.replace(['second-secret-value']);
    expect(changing.redact('first-secret-value second-secret-value')).toBe(`first-secret-value ${HIDDEN}`);
  });
});

describe('URL passwords', () => {
  it('finds the password as written, decoded and encoded, up to the last @ of the authority', () => {
    expect(urlPasswords('rtsp://admin:p%40ss@cam/x')).toEqual(['p%40ss', 'p@ss']);
    expect(urlPasswords('rtsp://admin:p@ssw0rd99@10.0.0.21:554/stream1')).toEqual(['p@ssw0rd99', 'p%40ssw0rd99']);
    expect(urlPasswords('rtsp://admin@cam/x')).toEqual([]);
    expect(urlPasswords('demo:')).toEqual([]);
  });

  it('hides a password whatever it holds, and nothing of a URL without one', () => {
    expect(redactUrl('rtsp://admin:p@ss:w@rd@cam:554/x?a=b')).toBe('rtsp://admin:***@cam:554/x?a=b');
    expect(redactUrl('rtsp://admin@cam/x http://cam:8080/a')).toBe('rtsp://admin@cam/x http://cam:8080/a');
  });
});
