import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CacheClaims, type CachedLogits, RerankerError } from '@reranker/core';
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

/** Where a pair lives in Redis, and where its claim does. */
export interface ClaimKeys {
  value(key: string): string;
  claim(key: string): string;
}

// Deletes each claim only while it still holds this driver's token: a claim that expired and was taken
// by another server stays theirs. A script, because GET then DEL from the client could interleave.
const RELEASE = `for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('UNLINK', key) end
end
return 0`;

/**
 * Cross-server claims on missing pairs (`CacheClaims` of core). A claim is `SET claim token NX PX GET`
 * (all of a request's claims in one MULTI/EXEC round trip): a pair nobody claimed, or that this driver
 * claimed (core shares in-flight pairs inside a process), is the caller's; a pair another server
 * claimed is polled for until its value appears, its claim ends, `waitMs` runs out or the caller's
 * signal aborts.
 */
export function createClaims(
  client: Redis,
  call: Call,
  keys: ClaimKeys,
  decode: (text: string) => CachedLogits | undefined,
  options: DedupeOptions = {},
): CacheClaims {
  const lockTtlMs = check('lockTtlMs', options.lockTtlMs ?? 30_000);
  const waitMs = check('waitMs', options.waitMs ?? 10_000);
  const pollMs = check('pollMs', options.pollMs ?? 25);
  // One token per driver: its own claims never make it wait for itself.
  const token = randomUUID();

  return {
    async claim(missing) {
      if (missing.length === 0) return [];
      // One transaction, not a pipeline: two servers' claims on shared pairs never interleave, so the
      // first claims them all and the other only waits (interleaved claims let each wait on the other).
      const transaction = client.multi();
      for (const key of missing) transaction.set(keys.claim(key), token, 'PX', lockTtlMs, 'NX', 'GET');
      const replies = (await call(() => transaction.exec())) ?? [];
      return missing.map((_, index) => {
        const [error, owner] = replies[index] ?? [null, null];
        if (error) throw error;
        return owner === null || owner === token;
      });
    },

    async wait(claimed, signal) {
      const found: (CachedLogits | undefined)[] = claimed.map(() => undefined);
      let waiting = [...claimed.keys()];
      const deadline = Date.now() + waitMs;
      while (waiting.length > 0 && Date.now() < deadline) {
        // Rejects as soon as the signal aborts: the request is over, so is its wait.
        await sleep(pollMs, undefined, { signal });
        // Values and claims in one read, so a value written just before its claim went is never missed.
        const names = waiting.map((i) => keys.value(claimed[i]!));
        const claims = waiting.map((i) => keys.claim(claimed[i]!));
        const replies = await call(() => client.mget(...names, ...claims));
        const count = names.length;
        waiting = waiting.filter((i, j) => {
          const value = replies[j];
          if (value !== null && value !== undefined) {
            found[i] = decode(value);
            return false;
          }
          // No value and no claim: its holder failed or gave up; the caller computes it.
          return replies[count + j] !== null;
        });
      }
      return found;
    },

    async release(claimed) {
      if (claimed.length === 0) return;
      await call(() => client.eval(RELEASE, claimed.length, ...claimed.map(keys.claim), token));
    },
  };
}

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
