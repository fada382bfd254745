import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How long a login lasts. */
export const SESSION_LIFETIME_S = 30 * 24 * 3600;
const SECRET_FILE = 'session-secret';
const REVOKED_FILE = 'revoked-sessions.json';
const SECRET_BYTES = 32;
const VERSION = 'v1';

/** What a valid session cookie says. */
export interface Session {
  /** Random, 128 bits: what logout revokes. */
  id: string;
  /** Which token it was issued for (`Sessions.tokenId`), so removing that token ends it. */
  tokenId: string;
  /** Issued and expires, in seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
}

/**
 * Session cookies signed with a random secret of this server: `v1.<id>.<token id>.<issued>.<expires>.<HMAC-SHA256>`.
 * The secret (32 bytes) and the revoked ids live in `dir` (created 0700, files 0600), so a restart
 * keeps both: logins survive it, and a logged-out cookie stays dead until it would have expired.
 */
export class Sessions {
  readonly #secret: Buffer;
  readonly #revokedFile: string;
  /** Revoked session id → when it would have expired (s); dropped after that. */
  readonly #revoked: Map<string, number>;

  private constructor(secret: Buffer, revokedFile: string, revoked: Map<string, number>) {
    this.#secret = secret;
    this.#revokedFile = revokedFile;
    this.#revoked = revoked;
  }

  /** Opens the secret in `dir`, creating the folder and a new secret on first start. */
  static open(dir: string, now = Date.now()): Sessions {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const secretFile = join(dir, SECRET_FILE);
    const secret = readOrCreateSecret(secretFile);
    const revokedFile = join(dir, REVOKED_FILE);
    const revoked = new Map<string, number>();
    if (existsSync(revokedFile)) {
      let stored: unknown;
      try {
        stored = JSON.parse(readFileSync(revokedFile, 'utf8'));
      } catch (error) {
        throw new Error(`${revokedFile}: not valid JSON (${(error as Error).message}); delete it to forget past logouts`);
      }
      for (const [id, expiresAt] of Object.entries(stored as Record<string, unknown>)) {
        if (typeof expiresAt === 'number' && expiresAt * 1000 > now) revoked.set(id, expiresAt);
      }
    }
    return new Sessions(secret, revokedFile, revoked);
  }

  /** A stable id of a token under this secret: it names the token in a cookie without revealing it. */
  tokenId(token: string): string {
    return this.#mac(`token-id.${token}`).subarray(0, 12).toString('base64url');
  }

  /** A new session for the token with id `tokenId`: the cookie value. */
  issue(tokenId: string, now = Date.now()): string {
    const issuedAt = Math.floor(now / 1000);
    const body = `${VERSION}.${randomBytes(16).toString('base64url')}.${tokenId}.${issuedAt}.${issuedAt + SESSION_LIFETIME_S}`;
    return `${body}.${this.#mac(body).toString('base64url')}`;
  }

  /** The session a cookie value holds, if it is ours, unexpired and not revoked. */
  verify(value: string, now = Date.now()): Session | undefined {
    const parts = value.split('.');
    if (parts.length !== 6 || parts[0] !== VERSION) return undefined;
    const [, id, tokenId, issued, expires, mac] = parts as [string, string, string, string, string, string];
    const expected = this.#mac(parts.slice(0, 5).join('.'));
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const session = { id, tokenId, issuedAt: Number(issued), expiresAt: Number(expires) };
    if (session.expiresAt * 1000 <= now || this.#revoked.has(id)) return undefined;
    return session;
  }

  /** Ends a session for good: remembered (on disk) until it would have expired anyway. */
  revoke(session: Session, now = Date.now()): void {
    for (const [id, expiresAt] of this.#revoked) if (expiresAt * 1000 <= now) this.#revoked.delete(id);
    this.#revoked.set(session.id, session.expiresAt);
    writePrivate(this.#revokedFile, JSON.stringify(Object.fromEntries(this.#revoked)));
  }

  #mac(text: string): Buffer {
    return createHmac('sha256', this.#secret).update(text).digest();
  }
}

function readOrCreateSecret(file: string): Buffer {
  if (!existsSync(file)) {
    // Written aside, then linked into place: a link never replaces a file, so two servers started
    // at once on one folder end up with the same secret, and none ever reads a half-written one.
    const temporary = `${file}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, randomBytes(SECRET_BYTES), { mode: 0o600 });
      linkSync(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the session secret ${file}: ${(error as Error).message}`);
    } finally {
      rmSync(temporary, { force: true });
    }
  }
  const secret = readFileSync(file);
  if (secret.length !== SECRET_BYTES) throw new Error(`${file}: expected ${SECRET_BYTES} bytes, found ${secret.length}; delete it to make a new one (every login then ends)`);
  return secret;
}

/** Written whole or not at all (a rename), readable by this user only. */
function writePrivate(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, file);
}
