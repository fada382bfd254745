import type { Redactor } from '@cctv/redact';

/** Something that writes a line; every line an integration writes passes through the `Redactor` first. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A logger that prefixes each line with the integration's name and redacts it. */
export function redactingLogger(log: Logger, redactor: Redactor, prefix: string): Logger {
  return {
    info: (message) => log.info(redactor.redact(`${prefix}: ${message}`)),
    warn: (message) => log.warn(redactor.redact(`${prefix}: ${message}`)),
    error: (message) => log.error(redactor.redact(`${prefix}: ${message}`)),
  };
}
