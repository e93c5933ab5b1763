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

// Per pair (KEYS: value, claim, value, claim, …): 2 when its value is already there (written after this
// server's read: nothing to claim, the wait reads it), else SET claim NX PX GET: 0 when the claim is
// this driver's (new or already its own), 1 when another holder's. One script, so a holder cannot
// write and release between the check and the claim, and two servers' claims never interleave (else
// each could wait on pairs the other claimed).
const CLAIM = `local replies = {}
for i = 1, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    replies[#replies + 1] = 2
  else
    local owner = redis.call('SET', KEYS[i + 1], ARGV[1], 'PX', ARGV[2], 'NX', 'GET')
    replies[#replies + 1] = (owner == false or owner == ARGV[1]) and 0 or 1
  end
end
return replies`;

// Deletes each claim only while it still holds this driver's token: a claim that expired and was taken
// by another server stays theirs. A script, because GET then DEL from the client could interleave.
const RELEASE = `for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('UNLINK', key) end
end
return 0`;

/**
 * Cross-server claims on missing pairs (`CacheClaims` of core), all of a request's in one script (one
 * round trip): a pair nobody claimed, or that this driver claimed (core shares in-flight pairs inside a
 * process), is the caller's; a pair another server claimed, or wrote since the caller read, is polled
 * for until its value appears, its claim ends, `waitMs` runs out or the caller's signal aborts.
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
      const pairs = missing.flatMap((key) => [keys.value(key), keys.claim(key)]);
      const replies = (await call(() =>
        client.eval(CLAIM, pairs.length, ...pairs, token, lockTtlMs),
      )) as number[];
      return missing.map((_, index) => replies[index] === 0);
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
