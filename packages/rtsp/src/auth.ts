import { createHash, randomBytes } from 'node:crypto';

/** One challenge of a WWW-Authenticate header. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/** Every challenge in the WWW-Authenticate values of a 401 (a camera may offer Basic and Digest, in one header or several). */
export function parseChallenges(values: string[]): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  for (const value of values) {
    // Tokens in turn: a token followed by '=' is a parameter of the challenge before it, any other starts a challenge.
    const token = /[\s,]*([\w-]+)\s*(=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*)))?/y;
    let current: AuthChallenge | undefined;
    for (let match = token.exec(value); match && match[0].length > 0; match = token.exec(value)) {
      if (match[2] === undefined) {
        current = { scheme: match[1]!.toLowerCase(), params: {} };
        challenges.push(current);
      } else if (current) {
        current.params[match[1]!.toLowerCase()] = match[3] !== undefined ? match[3].replace(/\\(.)/g, '$1') : match[4]!;
      }
    }
  }
  return challenges;
}

const DIGEST_HASHES: Record<string, string> = { md5: 'md5', 'md5-sess': 'md5', 'sha-256': 'sha256', 'sha-256-sess': 'sha256' };

/**
 * Answers a camera's challenge: Digest (RFC 2617/7616: MD5 or SHA-256, qop=auth or none) over
 * Basic when both are offered.
 */
export class Authenticator {
  #challenge: AuthChallenge | undefined;
  #nonceCount = 0;

  constructor(
    private readonly user: string,
    private readonly password: string,
  ) {}

  /** Takes the challenges of a 401; false when none can be answered (an unknown scheme or algorithm). */
  accept(challenges: AuthChallenge[]): boolean {
    const digest = challenges.find((c) => c.scheme === 'digest' && c.params.nonce !== undefined && DIGEST_HASHES[(c.params.algorithm ?? 'md5').toLowerCase()]);
    const chosen = digest ?? challenges.find((c) => c.scheme === 'basic');
    if (!chosen) return false;
    if (chosen.params.nonce !== this.#challenge?.params.nonce) this.#nonceCount = 0;
    this.#challenge = chosen;
    return true;
  }

  /** The Authorization header for a request, once a challenge was accepted. */
  header(method: string, uri: string): string | undefined {
    const challenge = this.#challenge;
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') return `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`;
    return digestAuthorization(challenge.params, { user: this.user, password: this.password, method, uri, nonceCount: ++this.#nonceCount, cnonce: randomBytes(8).toString('hex') });
  }
}

/** The Digest Authorization header value for one request. */
export function digestAuthorization(
  challenge: Record<string, string>,
  request: { user: string; password: string; method: string; uri: string; nonceCount: number; cnonce: string },
): string {
  const algorithm = (challenge.algorithm ?? 'MD5').toLowerCase();
  const hash = (...parts: string[]) => createHash(DIGEST_HASHES[algorithm] ?? 'md5').update(parts.join(':')).digest('hex');
  const realm = challenge.realm ?? '';
  const nonce = challenge.nonce ?? '';
  const qop = challenge.qop?.split(',').map((q) => q.trim()).includes('auth') ? 'auth' : undefined;
  const nc = request.nonceCount.toString(16).padStart(8, '0');
  let ha1 = hash(request.user, realm, request.password);
  if (algorithm.endsWith('-sess')) ha1 = hash(ha1, nonce, request.cnonce);
  const ha2 = hash(request.method, request.uri);
  const response = qop ? hash(ha1, nonce, nc, request.cnonce, qop, ha2) : hash(ha1, nonce, ha2);
  const quote = (text: string) => `"${text.replace(/(["\\])/g, '\\$1')}"`;
  const fields = [`username=${quote(request.user)}`, `realm=${quote(realm)}`, `nonce=${quote(nonce)}`, `uri=${quote(request.uri)}`, `response=${quote(response)}`];
  if (challenge.algorithm) fields.push(`algorithm=${challenge.algorithm}`);
  if (challenge.opaque !== undefined) fields.push(`opaque=${quote(challenge.opaque)}`);
  if (qop) fields.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote(request.cnonce)}`);
  return `Digest ${fields.join(', ')}`;
}
