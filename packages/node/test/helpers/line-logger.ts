import type { Logger } from '@reranker/core';

/** A logger that keeps every message line (any level), for asserting on what was logged. */
export function lineLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (obj: object | string, msg?: string) =>
    lines.push(typeof obj === 'string' ? obj : (msg ?? ''));
  return { lines, debug: record, info: record, warn: record, error: record };
}

/** A logger that keeps warn and error message lines in `warnings` (debug and info are dropped). */
export function warningLogger(warnings: string[] = []): Logger {
  const record = (obj: object | string, msg?: string) =>
    warnings.push(typeof obj === 'string' ? obj : (msg ?? ''));
  return { debug() {}, info() {}, warn: record, error: record };
}
