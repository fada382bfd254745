import { Elysia, ValidationError } from 'elysia';
import type { TSchema } from '@sinclair/typebox';
import { expectedValue } from './expected.ts';
import { log } from './log.ts';


// `property`: a query or path parameter Elysia converts one by one (a number from "5").
const WHERE: Record<string, string> = { query: 'query parameter', params: 'path parameter', property: 'parameter', body: 'body field', headers: 'header', cookie: 'cookie' };

/**
 * Every error answers with a short JSON body and nothing of the server's insides (no stack, no
 * schema dump): `{"error":"not found"}`, `{"error":"invalid query parameter", "parameter": "fps",
 * "expected": "a number from 0.1 to 60"}`, `{"error":"internal error"}` (the cause is logged).
 */
export function jsonErrors() {
  return new Elysia({ name: 'json-errors' }).onError({ as: 'global' }, ({ code, error, set, request }) => {
    const path = safePath(request.url);
    switch (code) {
      case 'NOT_FOUND':
        set.status = 404;
        return { error: 'not found' };
      case 'VALIDATION': {
        const invalid = error as ValidationError;
        if (invalid.type === 'response') {
          log.error(`${request.method} ${path}: the response does not match its schema: ${firstProblem(invalid)}`);
          set.status = 500;
          return { error: 'internal error' };
        }
        set.status = 400;
        return describeInvalid(invalid);
      }
      case 'PARSE':
        set.status = 400;
        return { error: 'invalid body', expected: 'JSON (application/json) or a form (application/x-www-form-urlencoded)' };
      case 'INVALID_COOKIE_SIGNATURE':
      case 'INVALID_FILE_TYPE':
        set.status = 400;
        return { error: 'invalid request' };
      default: {
        // A status thrown on purpose (`status(503, …)`) keeps its own answer.
        if (typeof code === 'number') return;
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        log.error(`${request.method} ${path}: ${message}`);
        set.status = 500;
        return { error: 'internal error' };
      }
    }
  });
}

/** Which parameter was wrong and what it should have been. */
function describeInvalid(error: ValidationError): { error: string; parameter: string; expected: string } {
  const where = WHERE[error.type] ?? error.type;
  // Route schemas carry messages of the form "fps: expected a number from 0.1 to 60".
  const custom = typeof error.customError === 'string' ? /^([\w.-]+): expected (.+)$/.exec(error.customError) : null;
  if (custom) return { error: `invalid ${where}`, parameter: custom[1]!, expected: custom[2]! };
  const value = error.valueError;
  const parameter = value?.path.replace(/^\//, '').replaceAll('/', '.') || (error.type === 'body' ? '(body)' : '(unknown)');
  return { error: `invalid ${where}`, parameter, expected: value ? expectedValue(value.schema as TSchema, value.message.toLowerCase()) : 'a valid value' };
}

function firstProblem(error: ValidationError): string {
  const value = error.valueError;
  return value ? `${value.path || '/'}: ${value.message}` : error.message.slice(0, 200);
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname.slice(0, 200);
  } catch {
    return '(bad url)';
  }
}
