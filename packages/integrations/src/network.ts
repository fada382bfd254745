/** True when the request certainly never reached the service (nothing listened), so a retry cannot duplicate it. */
export function neverArrived(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 6; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (code === 'ConnectionRefused' || code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'FailedToOpenSocket') return true;
    if (typeof message === 'string' && /ECONNREFUSED|Connection refused|Unable to connect|FailedToOpenSocket/i.test(message)) return true;
    e = (e as { cause?: unknown; error?: unknown }).cause ?? (e as { error?: unknown }).error;
  }
  return false;
}

/** The innermost useful message of a wrapped network error (grammY's HttpError, gaxios' GaxiosError, fetch's TypeError). */
export function networkReason(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 6; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof message === 'string' && message && !parts.includes(message)) parts.push(message);
    if (typeof code === 'string' && !parts.some((p) => p.includes(code))) parts.push(code);
    e = (e as { cause?: unknown }).cause ?? (e as { error?: unknown }).error;
  }
  return parts.join(': ') || String(error);
}
