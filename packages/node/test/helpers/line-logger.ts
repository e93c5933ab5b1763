import type { Logger } from '@reranker/core';

/** A logger that keeps every message line (any level), for asserting on what was logged. */
export function lineLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (obj: object | string, msg?: string) =>
    lines.push(typeof obj === 'string' ? obj : (msg ?? ''));
  return { lines, debug: record, info: record, warn: record, error: record };
}
