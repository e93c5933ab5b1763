// Argument checks of `reranker-bench cluster`, pure so they are unit-tested.
import { RerankerError } from '@reranker/core';

/** More servers than this on one host measures nothing but contention. */
export const MAX_SERVERS = 8;

/** `1,3` → [1, 3]: distinct server counts from 1 to MAX_SERVERS, in the order given. */
export function parseServerCounts(value: string): number[] {
  const parts = value.split(',').map((part) => part.trim());
  const counts = parts.map(Number);
  const bad = parts.find((part, i) => !/^\d+$/.test(part) || counts[i]! < 1 || counts[i]! > MAX_SERVERS);
  if (bad !== undefined) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `--servers takes server counts from 1 to ${MAX_SERVERS}, comma-separated (e.g. 1,3); "${bad}" is not one`,
    );
  }
  if (new Set(counts).size !== counts.length) {
    throw new RerankerError('INVALID_CONFIG', `--servers lists a count twice: ${value}`);
  }
  return counts;
}

/**
 * Threads of each server's single inference worker: the cores shared out, at least one. N servers
 * of `cores` threads each would oversubscribe the machine and measure thread thrashing instead.
 */
export function threadsPerServer(cores: number, servers: number): number {
  return Math.max(1, Math.floor(cores / servers));
}
