import { randomUUID } from 'node:crypto';
import { RerankerError } from '@reranker/core';
import type { Redis } from 'ioredis';

export interface DedupeOptions {
  /** How long a claim on a missing pair lasts; a server that dies mid-computation frees it after this. @default 30000 */
  lockTtlMs?: number;
  /** Longest wait for a pair another server claimed; then this server computes it itself. @default 10000 */
  waitMs?: number;
  /** Pause between two reads of the claimed pairs while waiting. @default 25 */
  pollMs?: number;
}

/** Marks claim keys: never a pair key of core (those start with `reranker:`), skipped by `size()`. */
export const CLAIM_MARK = '~claim:';

type Call = <T>(operation: () => Promise<T>) => Promise<T>;

/**
 * Cross-server deduplication of missing pairs. Each miss is claimed with `SET claim token NX PX GET`
 * (all of a request's claims in one MULTI/EXEC round trip): a pair nobody claimed, or that this process claimed (core already
 * shares in-flight pairs inside a process), is the caller's to compute; a pair another server claimed
 * is polled for until it appears or `waitMs` runs out, and then computed here (takeover).
 */
export function createDeduper(client: Redis, call: Call, options: DedupeOptions = {}) {
  const lockTtlMs = check('lockTtlMs', options.lockTtlMs ?? 30_000);
  const waitMs = check('waitMs', options.waitMs ?? 10_000);
  const pollMs = check('pollMs', options.pollMs ?? 25);
  // One token per process: claims of this process never make it wait for itself.
  const token = randomUUID();

  return {
    /** The stored texts of missing `keys` that other servers computed meanwhile; the rest are ours. */
    async await(keys: readonly string[], claimKey: (key: string) => string): Promise<Map<string, string>> {
      // One transaction, not a pipeline: two servers' claims on shared pairs never interleave, so the
      // first claims them all and the other only waits (interleaved claims let each wait on the other).
      const pipeline = client.multi();
      for (const key of keys) pipeline.set(claimKey(key), token, 'PX', lockTtlMs, 'NX', 'GET');
      const replies = (await call(() => pipeline.exec())) ?? [];
      let waiting = keys.filter((_, index) => {
        const [error, owner] = replies[index] ?? [null, null];
        if (error) throw error;
        return owner !== null && owner !== token;
      });
      const found = new Map<string, string>();
      const deadline = Date.now() + waitMs;
      while (waiting.length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, pollMs));
        const values = await call(() => client.mget(waiting));
        waiting = waiting.filter((key, index) => {
          const value = values[index];
          if (value === null || value === undefined) return true;
          found.set(key, value);
          return false;
        });
      }
      return found;
    },
  };
}

export type Deduper = ReturnType<typeof createDeduper>;

function check(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `Redis deduplication ${field} must be a number of milliseconds above 0, got ${String(value)}.`,
      { details: { field, value } },
    );
  }
  return value;
}
