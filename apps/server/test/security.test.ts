import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Auth, FailureLimiter, isLoopbackHost, namedTokens, securityStatus } from '../src/auth.ts';
import { routedPath } from '../src/guard.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { redactDeep, redactSecrets, registerSecrets } from '../src/redact.ts';

const TOKEN = 'a-long-enough-token-0123';

describe('redaction', () => {
  it('scrubs the running config’s secrets and anything shaped like one from any text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cctv-redact-'));
    const keyFile = join(dir, 'key.json');
    const privateKey = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nQ2xYzTh1sIsAnExampleLineOfBase64Text0123456789abcd\n-----END PRIVATE KEY-----\n';
    writeFileSync(keyFile, JSON.stringify({ private_key: privateKey, private_key_id: 'f00dfeedf00dfeedf00dfeed' }));
    registerSecrets({
      camera_url: 'rtsp://admin:p%40ss-w0rd@cam.local:554/s',
      telegram_config: { bot_token: '123456789:AAHbotTokenThatIsLongEnough_abcdefgh' },
      sheets_config: { credentials_file: keyFile },
      server: { auth: { tokens: [{ name: 'dashboard', token: TOKEN }, 'bare-token-value-0000'] } },
    });
    const text = [
      'ffmpeg: rtsp://admin:p%40ss-w0rd@cam.local:554/s: 401 Unauthorized',
      'password was p@ss-w0rd',
      'POST https://api.telegram.org/bot123456789:AAHbotTokenThatIsLongEnough_abcdefgh/sendPhoto failed',
      'a stranger bot token 987654321:AAAnotherTokenNotInTheConfig_xyz012 too',
      `Authorization: Bearer ${TOKEN}`,
      'GET /api/status?token=bare-token-value-0000&fps=2',
      'cookie: cctv_session=abcDEF123; other=1',
      `key: ${privateKey}`,
      'key line Q2xYzTh1sIsAnExampleLineOfBase64Text0123456789abcd',
      'id f00dfeedf00dfeedf00dfeed',
      JSON.stringify({ key: privateKey }),
    ].join('\n');
    const out = redactSecrets(text);
    for (const secret of ['p%40ss-w0rd', 'p@ss-w0rd', 'AAHbotTokenThatIsLongEnough', 'AAAnotherTokenNotInTheConfig', TOKEN, 'bare-token-value-0000', 'abcDEF123', 'MIIEvQ', 'ExampleLineOfBase64', 'f00dfeed']) {
      expect(out, secret).not.toContain(secret);
    }
    expect(out).toContain('rtsp://admin:***@cam.local:554/s');
    expect(out).toContain('/bot***/sendPhoto');
    expect(out).toContain('fps=2');
    // A token's name is a label, not a secret.
    expect(redactSecrets('token dashboard logged in')).toBe('token dashboard logged in');
  });

  it('shows a config with secret fields as *** and names kept', () => {
    const shown = redactDeep({
      camera_url: 'http://u:pw-1234@h/x',
      telegram_config: { bot_token: 'anything', chat_id: 5 },
      server: { auth: { tokens: [{ name: 'ops', token: 'x' }, 'y'] }, port: 1 },
      mqtt: { password: 1234 },
    });
    expect(shown).toEqual({
      camera_url: 'http://u:***@h/x',
      telegram_config: { bot_token: '***', chat_id: 5 },
      server: { auth: { tokens: [{ name: 'ops', token: '***' }, '***'] }, port: 1 },
      mqtt: { password: '***' },
    });
  });
});

describe('auth', () => {
  const auth = new Auth([{ name: 'dashboard', token: TOKEN }, { name: 'ops', token: 'another-token-456789' }], false);
  const request = (headers: Record<string, string>, query = '') => new Request(`http://127.0.0.1/api/status${query}`, { headers });

  it('accepts a token as Bearer, ?token= or the session cookie, and says which', () => {
    expect(auth.check(request({ authorization: `Bearer ${TOKEN}` }))).toEqual({ presented: true, name: 'dashboard', via: 'bearer' });
    expect(auth.check(request({}, '?token=another-token-456789'))).toEqual({ presented: true, name: 'ops', via: 'query' });
    const cookie = /cctv_session=[^;]+/.exec(auth.sessionCookie('ops', false))![0];
    expect(auth.check(request({ cookie: `a=1; ${cookie}` }))).toEqual({ presented: true, name: 'ops', via: 'cookie' });
    expect(cookie).not.toContain('another-token');
  });

  it('refuses wrong, empty, oversized and malformed credentials, and tells none from wrong', () => {
    expect(auth.check(request({}))).toEqual({ presented: false });
    const wrong: Array<Record<string, string>> = [{ authorization: 'Bearer nope' }, { authorization: 'Basic abc' }, { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, { cookie: 'cctv_session=forged' }];
    for (const headers of wrong) {
      expect(auth.check(request(headers))).toEqual({ presented: true });
    }
    expect(auth.check(request({}, `?token=${'x'.repeat(5000)}`))).toEqual({ presented: true });
    expect(auth.checkParts({ token: 42 })).toEqual({ presented: true });
    expect(auth.checkParts({ token: TOKEN })).toMatchObject({ name: 'dashboard', via: 'handshake' });
  });

  it('takes the client address from proxy headers only when told to trust the proxy', () => {
    const server = { requestIP: () => ({ address: '127.0.0.1' }) };
    const forwarded = request({ 'x-forwarded-for': '203.0.113.1, 198.51.100.7', 'cf-connecting-ip': 'nonsense' });
    expect(auth.clientAddress(forwarded, server)).toBe('127.0.0.1');
    const trusting = new Auth([{ name: 'a', token: TOKEN }], true);
    expect(trusting.clientAddress(forwarded, server)).toBe('198.51.100.7');
    expect(trusting.clientAddress(request({ 'cf-connecting-ip': '2001:db8::1' }), server)).toBe('2001:db8::1');
    expect(trusting.isHttps(request({ 'x-forwarded-proto': 'https' }))).toBe(true);
    expect(auth.isHttps(request({ 'x-forwarded-proto': 'https' }))).toBe(false);
  });

  it('limits failures per address in a sliding minute, and forgets old addresses first', () => {
    const limiter = new FailureLimiter(3, 60_000, 2);
    for (let i = 0; i < 3; i++) limiter.fail('a', 1000 + i);
    expect(limiter.blockedFor('a', 2000)).toBe(60_000 + 1000 - 2000);
    expect(limiter.blockedFor('a', 61_001)).toBe(0);
    expect(limiter.blockedFor('b', 2000)).toBe(0);
    limiter.fail('b', 3000);
    limiter.fail('c', 3000);
    // Only two addresses kept: 'a' failed least recently and is forgotten.
    expect(limiter.blockedFor('a', 3000)).toBe(0);
  });

  it('says when an exposed server has no auth', () => {
    const open = securityStatus(loadConfig({ env: {} }).config);
    expect(open).toMatchObject({ auth: false, exposed: true });
    expect(open.warning).toMatch(/open to anyone who can reach port 5001/);
    const local = securityStatus(loadConfig({ env: { CCTV_SERVER_HOST: '127.0.0.1' } }).config);
    expect(local.warning).toBeNull();
    expect(['127.0.0.1', '::1', 'localhost', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
  });
});

describe('the guard', () => {
  it('reads a path as Elysia’s router does, so a short Host cannot make it see another one', () => {
    expect(routedPath('http://127.0.0.1:5001/api/status?x=1')).toBe('/api/status');
    expect(routedPath('http://localhost/')).toBe('/');
    expect(routedPath('http://x/socket.io/?EIO=4')).toBe('/');
    expect(routedPath('http://x/socket.io/api/status')).toBe('/api/status');
  });
});

describe('auth config', () => {
  it('takes tokens from the environment as JSON or a comma list, and names bare ones', () => {
    const json = loadConfig({ env: { CCTV_SERVER_AUTH_TOKENS: `[{"name":"dash","token":"${TOKEN}"}]` } }).config;
    expect(namedTokens(json)).toEqual([{ name: 'dash', token: TOKEN }]);
    const list = loadConfig({ env: { CCTV_SERVER_AUTH_TOKENS: `${TOKEN},another-token-456789` } }).config;
    expect(namedTokens(list).map((t) => t.name)).toEqual(['token1', 'token2']);
  });

  it('refuses a short token or a bad origin, naming the key and never showing the token', () => {
    try {
      loadConfig({ env: { CCTV_SERVER_AUTH_TOKENS: 'short-secret', CCTV_SERVER_CORS_ORIGINS: 'https://a.example/path' } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toMatch(/server\.auth\.tokens\.0 \(from CCTV_SERVER_AUTH_TOKENS\): got \(a hidden value\), expected a token of 16 to 512/);
      expect(message).toMatch(/server\.cors_origins\.0 .*expected a string like "https:\/\/cctv\.example\.com" or "\*"/);
      expect(message).not.toContain('short-secret');
    }
  });
});
