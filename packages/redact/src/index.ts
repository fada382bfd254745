export { HIDDEN, MIN_SECRET_LENGTH, Redactor, redactUrl, urlPasswords } from './redact.ts';
