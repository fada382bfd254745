import { Elysia } from 'elysia';
import { redactStrings } from './redact.ts';

/**
 * The last line of defence for answers: every JSON body a route returns has its strings scrubbed
 * of the running config's secrets (a reason, an error message) before it is sent. Streams and
 * files (Response objects) pass as they are.
 */
export function scrubResponses() {
  return new Elysia({ name: 'scrub-responses' }).onAfterHandle({ as: 'global' }, ({ response }) => {
    if (Array.isArray(response) || (response && typeof response === 'object' && Object.getPrototypeOf(response) === Object.prototype)) return redactStrings(response);
  });
}
