import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Auth, FAILURE_WINDOW_MS, FailureLimiter, isLoopbackHost, MAX_FAILURES, namedTokens, securityStatus } from '../src/auth.ts';
import { AddressRanges, IP_OR_CIDR_PATTERN, isLoopbackAddress } from '../src/ip-ranges.ts';
import { SESSION_LIFETIME_S, Sessions } from '../src/sessions.ts';
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

/** A data folder of its own for each Auth or Sessions under test. */
const dataDir = () => join(mkdtempSync(join(tmpdir(), 'cctv-auth-')), 'data');
const TOKENS = [{ name: 'dashboard', token: TOKEN }, { name: 'ops', token: 'another-token-456789' }];
const peer = (address: string) => ({ requestIP: () => ({ address }) });

describe('auth', () => {
  const dir = dataDir();
  const auth = new Auth({ tokens: TOKENS, trustProxy: false, trustedProxies: [], dataDir: dir });
  const request = (headers: Record<string, string>, query = '') => new Request(`http://127.0.0.1/api/status${query}`, { headers });
  const check = (r: Request) => auth.check(r, new URL(r.url));
  const cookieOf = (setCookie: string) => /cctv_session=[^;]+/.exec(setCookie)![0];

  it('accepts a token as Bearer, ?token= or a session cookie, and says which', () => {
    expect(check(request({ authorization: `Bearer ${TOKEN}` }))).toEqual({ presented: true, name: 'dashboard', via: 'bearer' });
    expect(check(request({}, '?token=another-token-456789'))).toEqual({ presented: true, name: 'ops', via: 'query' });
    const cookie = cookieOf(auth.sessionCookie('ops', false));
    expect(check(request({ cookie: `a=1; ${cookie}` }))).toMatchObject({ presented: true, name: 'ops', via: 'cookie' });
    expect(cookie).not.toContain('another-token');
    expect(auth.checkToken(TOKEN)).toEqual({ presented: true, name: 'dashboard', via: 'login' });
  });

  it('refuses wrong, empty, oversized and malformed credentials, and tells none from wrong', () => {
    expect(check(request({}))).toEqual({ presented: false });
    const wrong: Array<Record<string, string>> = [{ authorization: 'Bearer nope' }, { authorization: 'Basic abc' }, { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, { cookie: 'cctv_session=forged' }, { cookie: 'cctv_session=' }];
    for (const headers of wrong) {
      expect(check(request(headers))).toEqual({ presented: true });
    }
    expect(check(request({}, `?token=${'x'.repeat(5000)}`))).toEqual({ presented: true });
    expect(auth.checkToken('not-a-configured-token')).toEqual({ presented: true });
  });

  it('lets a good credential through from an address that failed too often, and rate-limits only its wrong ones', () => {
    const judge = new Auth({ tokens: TOKENS, trustProxy: false, trustedProxies: [], dataDir: dir });
    const now = 1_000_000;
    expect(judge.judge({ presented: false }, 'a', now)).toEqual({ outcome: 'anonymous' });
    for (let i = 0; i < MAX_FAILURES; i++) expect(judge.judge(judge.checkToken(`wrong-${i}`), 'a', now + i)).toEqual({ outcome: 'refused' });
    const limited = judge.judge(judge.checkToken('wrong-again'), 'a', now + 100);
    expect(limited).toMatchObject({ outcome: 'rate_limited' });
    expect((limited as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(FAILURE_WINDOW_MS - 1000);
    // The right token, and a session, from the same address: in.
    expect(judge.judge(judge.checkToken(TOKEN), 'a', now + 200)).toMatchObject({ outcome: 'ok', name: 'dashboard', via: 'login' });
    const r = request({ cookie: cookieOf(judge.sessionCookie('ops', false)) });
    expect(judge.judge(judge.check(r, new URL(r.url)), 'a', now + 300)).toMatchObject({ outcome: 'ok', name: 'ops', via: 'cookie' });
    // No credential is not a failure; another address is not affected.
    expect(judge.judge({ presented: false }, 'a', now + 400)).toEqual({ outcome: 'anonymous' });
    expect(judge.judge(judge.checkToken('wrong'), 'b', now + 500)).toEqual({ outcome: 'refused' });
    // A guesser who keeps on (one every 5 s, past the first minute) stays blocked: failures while blocked count too.
    for (let t = now + 5000; t < now + 3 * FAILURE_WINDOW_MS; t += 5000) expect(judge.judge(judge.checkToken('wrong'), 'a', t)).toMatchObject({ outcome: 'rate_limited' });
  });

  it('believes proxy headers only from a trusted proxy: loopback, or an address or range of trusted_proxies', () => {
    const forwarded = (headers: Record<string, string>) => request(headers);
    const trusting = new Auth({ tokens: TOKENS, trustProxy: true, trustedProxies: ['10.0.0.0/8', '2001:db8:1::/48'], dataDir: dir });
    const xff = forwarded({ 'x-forwarded-for': '203.0.113.1, 198.51.100.7' });
    // trust_proxy off: the peer, whatever it is.
    expect(auth.clientAddress(xff, peer('127.0.0.1'))).toBe('127.0.0.1');
    // On: from loopback (IPv4, IPv6, IPv4-mapped) and listed peers, the last address the proxies saw.
    for (const proxy of ['127.0.0.1', '127.0.0.53', '::1', '::ffff:127.0.0.1', '10.1.2.3', '::ffff:10.1.2.3', '2001:db8:1:ffff::9']) {
      expect(trusting.clientAddress(xff, peer(proxy)), proxy).toBe('198.51.100.7');
    }
    // From any other peer, its own address: a client reaching the port directly cannot choose one.
    for (const direct of ['192.0.2.9', '11.0.0.1', '2001:db8:2::9', '::ffff:192.0.2.9']) {
      expect(trusting.clientAddress(xff, peer(direct)), direct).toBe(direct);
      expect(trusting.clientAddress(forwarded({ 'cf-connecting-ip': '203.0.113.5' }), peer(direct))).toBe(direct);
      expect(trusting.isHttps(forwarded({ 'x-forwarded-proto': 'https' }), peer(direct))).toBe(false);
    }
    expect(trusting.clientAddress(forwarded({ 'cf-connecting-ip': '2001:db8::1' }), peer('::1'))).toBe('2001:db8::1');
    // X-Forwarded-For from the right, past every trusted hop; junk ends the walk.
    expect(trusting.clientAddress(forwarded({ 'x-forwarded-for': '203.0.113.1, 198.51.100.7, 10.9.9.9, 127.0.0.1' }), peer('10.0.0.1'))).toBe('198.51.100.7');
    expect(trusting.clientAddress(forwarded({ 'x-forwarded-for': '10.2.2.2, 10.3.3.3' }), peer('::1'))).toBe('10.2.2.2');
    expect(trusting.clientAddress(forwarded({ 'x-forwarded-for': 'nonsense, 10.3.3.3' }), peer('::1'))).toBe('10.3.3.3');
    expect(trusting.clientAddress(forwarded({ 'x-forwarded-for': 'nonsense' }), peer('::1'))).toBe('::1');
    expect(trusting.isHttps(forwarded({ 'x-forwarded-proto': 'https' }), peer('::1'))).toBe(true);
    expect(auth.isHttps(forwarded({ 'x-forwarded-proto': 'https' }), peer('::1'))).toBe(false);
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

describe('session cookies', () => {
  const DAY = 24 * 3600 * 1000;

  it('keeps a random 32-byte secret in the data folder (0700, file 0600), made on first start and reused after', () => {
    const dir = dataDir();
    const first = Sessions.open(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const secret = join(dir, 'session-secret');
    expect(statSync(secret).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(secret);
    expect(bytes.length).toBe(32);
    const cookie = first.issue(first.tokenId(TOKEN));
    // A restart: the same secret, so the login still holds; another folder's secret knows nothing of it.
    const again = Sessions.open(dir);
    expect(readFileSync(secret)).toEqual(bytes);
    expect(again.verify(cookie)).toMatchObject({ tokenId: first.tokenId(TOKEN) });
    expect(Sessions.open(dataDir()).verify(cookie)).toBeUndefined();
    // The secret is no fixed string: the same token has another id under another server's secret.
    expect(Sessions.open(dataDir()).tokenId(TOKEN)).not.toBe(first.tokenId(TOKEN));
  });

  it('carries its id, issue time and a 30-day expiry; refuses it expired or tampered with', () => {
    const sessions = Sessions.open(dataDir());
    const now = Date.UTC(2026, 0, 1);
    const cookie = sessions.issue(sessions.tokenId(TOKEN), now);
    const session = sessions.verify(cookie, now)!;
    expect(session.id).toMatch(/^[\w-]{22}$/);
    expect(session.issuedAt).toBe(now / 1000);
    expect(session.expiresAt).toBe(now / 1000 + SESSION_LIFETIME_S);
    expect(SESSION_LIFETIME_S).toBe(30 * 24 * 3600);
    expect(sessions.verify(cookie, now + 30 * DAY - 1000)).toBeDefined();
    expect(sessions.verify(cookie, now + 30 * DAY)).toBeUndefined();
    // Any changed part breaks the signature: a later expiry, another token, another id.
    const parts = cookie.split('.');
    for (const [index, value] of [[4, String(Number(parts[4]) + 3600)], [2, sessions.tokenId('another-token-456789')], [1, 'A'.repeat(22)], [5, 'B'.repeat(43)]] as const) {
      const forged = parts.map((part, i) => (i === index ? value : part)).join('.');
      expect(sessions.verify(forged, now), `part ${index}`).toBeUndefined();
    }
    for (const junk of ['', 'v1', 'v1.a.b.c.d.e', `v2.${parts.slice(1).join('.')}`, `${cookie}.x`]) expect(sessions.verify(junk, now)).toBeUndefined();
  });

  it('revokes a session for good: after a restart too, remembered only until it would have expired', () => {
    const dir = dataDir();
    const now = Date.UTC(2026, 0, 1);
    const sessions = Sessions.open(dir, now);
    const tokenId = sessions.tokenId(TOKEN);
    const loggedOut = sessions.issue(tokenId, now);
    const other = sessions.issue(tokenId, now);
    sessions.revoke(sessions.verify(loggedOut, now)!, now);
    expect(sessions.verify(loggedOut, now)).toBeUndefined();
    expect(sessions.verify(other, now)).toBeDefined();
    const file = join(dir, 'revoked-sessions.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const restarted = Sessions.open(dir, now + DAY);
    expect(restarted.verify(loggedOut, now + DAY)).toBeUndefined();
    expect(restarted.verify(other, now + DAY)).toBeDefined();
    // Once it would have expired, its id is dropped from the file at the next logout.
    const later = now + 31 * DAY;
    const fresh = restarted.issue(tokenId, later);
    restarted.revoke(restarted.verify(fresh, later)!, later);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')))).toEqual([fresh.split('.')[1]]);
  });

  it('says what is wrong with a damaged secret file', () => {
    const dir = dataDir();
    Sessions.open(dir);
    writeFileSync(join(dir, 'session-secret'), 'short');
    expect(() => Sessions.open(dir)).toThrow(/session-secret: expected 32 bytes, found 5; delete it/);
  });

  it('ends the sessions of a token removed from the config, and only those', () => {
    const dir = dataDir();
    const both = new Auth({ tokens: TOKENS, trustProxy: false, trustedProxies: [], dataDir: dir });
    const cookies = TOKENS.map(({ name }) => /cctv_session=[^;]+/.exec(both.sessionCookie(name, false))![0]);
    const withCookie = (cookie: string) => new Request('http://127.0.0.1/', { headers: { cookie } });
    // Restarted with "ops" gone (and "dashboard" renamed: the token, not its name, is what counts).
    const after = new Auth({ tokens: [{ name: 'main', token: TOKEN }], trustProxy: false, trustedProxies: [], dataDir: dir });
    expect(after.check(withCookie(cookies[0]!), new URL('http://127.0.0.1/'))).toMatchObject({ name: 'main', via: 'cookie' });
    expect(after.check(withCookie(cookies[1]!), new URL('http://127.0.0.1/'))).toEqual({ presented: true });
  });
});

describe('trusted proxy addresses', () => {
  const pattern = new RegExp(IP_OR_CIDR_PATTERN);

  it('takes every written form of an IPv4 or IPv6 address, with or without a prefix length, and nothing else', () => {
    const good = [
      '127.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '255.255.255.255/32', '::1', '::', '::/0', 'fd00::/8', '2001:db8::1', '2001:DB8:0:0:0:0:0:1',
      '1:2:3:4:5:6:7:8', '1::8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '::ffff:10.0.0.1', '64:ff9b::192.0.2.33/120', '1:2:3:4:5:6:1.2.3.4', 'fe80::1/128',
    ];
    const bad = [
      '', '10.0.0.256', '10.0.0', '10.0.0.0/33', '10.0.0.0/', '10.0.0.01', '1:2:3:4:5:6:7:8:9', '1::2::3', ':::', '1:2:3:4:5:6:7:8/129', 'fe80::1%eth0',
      '12345::', 'g::1', 'localhost', '10.0.0.0/8 ', ' 10.0.0.1', '::ffff:1.2.3', '1:2:3:4:5:6:7:1.2.3.4',
    ];
    for (const entry of good) {
      expect(pattern.test(entry), entry).toBe(true);
      expect(() => new AddressRanges([entry]), entry).not.toThrow();
    }
    for (const entry of bad) expect(pattern.test(entry), entry).toBe(false);
    // The pattern and node:net agree on addresses (random IPv6 spellings included).
    const hex = () => Math.floor(Math.random() * 0x10000).toString(16);
    for (let i = 0; i < 500; i++) {
      const groups = Array.from({ length: 8 }, hex);
      const cut = Math.floor(Math.random() * 8);
      const length = 1 + Math.floor(Math.random() * (8 - cut));
      const address = i % 2 ? groups.join(':') : `${groups.slice(0, cut).join(':')}::${groups.slice(cut + length).join(':')}`;
      expect(pattern.test(address), address).toBe(isIP(address) === 6);
    }
  });

  it('matches addresses against addresses and ranges, IPv4 also in its IPv4-mapped IPv6 form', () => {
    const ranges = new AddressRanges(['10.0.0.0/8', '192.0.2.7', '2001:db8:1::/48', 'fd00::5']);
    for (const inside of ['10.0.0.1', '10.255.255.255', '::ffff:10.1.2.3', '192.0.2.7', '2001:db8:1::1', '2001:db8:1:ffff:ffff:ffff:ffff:ffff', 'fd00::5']) {
      expect(ranges.has(inside), inside).toBe(true);
    }
    for (const outside of ['11.0.0.1', '192.0.2.8', '2001:db8:2::1', 'fd00::6', 'unknown', '']) expect(ranges.has(outside), outside).toBe(false);
    expect(['127.0.0.1', '127.255.0.1', '::1', '::ffff:127.0.0.1'].every(isLoopbackAddress)).toBe(true);
    expect(['128.0.0.1', '::2', '0.0.0.0', '::', 'unknown'].some(isLoopbackAddress)).toBe(false);
    expect(() => new AddressRanges(['10.0.0.0/40'])).toThrow();
  });

  it('refuses a malformed server.trusted_proxies entry, naming it', () => {
    const config = loadConfig({ env: { CCTV_SERVER_TRUSTED_PROXIES: '10.0.0.0/8,::1' } }).config;
    expect(config.server.trusted_proxies).toEqual(['10.0.0.0/8', '::1']);
    expect(loadConfig({ env: {} }).config.server.trusted_proxies).toEqual([]);
    expect(() => loadConfig({ env: { CCTV_SERVER_TRUSTED_PROXIES: '10.0.0.0/8,10.0.0.300/24' } })).toThrow(
      /server\.trusted_proxies\.1 \(from CCTV_SERVER_TRUSTED_PROXIES\): got "10\.0\.0\.300\/24", expected a string like "10\.0\.0\.5" or "172\.16\.0\.0\/12" or "fd00::\/8"/,
    );
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
