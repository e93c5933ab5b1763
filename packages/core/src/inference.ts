import { abortError, raceAbort } from './abort';
import type { Backend } from './backend';
import { type BatchLimits, buildBatch, planBatches, type TokenizedPair } from './batching';
import type { CachedLogits } from './cache/contract';
import { type PairKeyContext, pairKeys } from './cache/keys';
import type { PairCache } from './cache/pair-cache';
import { errorMessage, RerankerError } from './errors';
import type { Logger } from './logger';
import type { MetricsRecorder } from './metrics';
import { type RetryPolicy, withRetry } from './retry';
import type { PairEncoder, PreparedQuery } from './tokenize/pair-encoder';

export interface PairScorerDeps {
  backend: Backend;
  encoder: PairEncoder;
  numLabels: number;
  keyContext: PairKeyContext;
  cache: PairCache | undefined;
  metrics: MetricsRecorder;
  logger: Logger;
  limits: BatchLimits;
  retry: RetryPolicy;
}

/** What a call to `logits` cost. */
export interface ScoringUsage {
  /** Pairs the model ran on (cache misses, not shared with another request). */
  computedPairs: number;
  /** Pairs answered by the cache. */
  cachedPairs: number;
  /** Tokens of the pairs the model ran on, special tokens included, padding excluded. */
  tokens: number;
}

interface Job {
  query: string;
  document: string;
  key: string;
}

/**
 * Turns (query, document) pairs into logits: per-pair cache lookups, sharing of identical pairs that
 * are already being computed (by this request or another), length-sorted batching on the backend, and
 * retries of transient batch failures. A failed batch fails the request: no made-up scores.
 */
export class PairScorer {
  private readonly inflight = new Map<string, Promise<CachedLogits>>();

  constructor(private readonly deps: PairScorerDeps) {}

  /** Logits of each pair, in input order. */
  async logits(
    queries: readonly string[],
    documents: readonly string[],
    options: { signal?: AbortSignal; useCache: boolean },
  ): Promise<{ logits: CachedLogits[]; usage: ScoringUsage }> {
    const usage: ScoringUsage = { computedPairs: 0, cachedPairs: 0, tokens: 0 };
    const cache = options.useCache ? this.deps.cache : undefined;
    // Without a cache the keys only match identical in-flight pairs: a cheap exact key beats hashing.
    const keys = cache ? await this.keysFor(queries, documents) : localKeys(queries, documents);
    const results: (CachedLogits | undefined)[] = new Array(keys.length);
    if (cache) {
      const cached = await cache.getMany(keys);
      let hits = 0;
      cached.forEach((value, i) => {
        if (value) {
          results[i] = value;
          hits++;
        }
      });
      this.deps.metrics.recordCache(hits, keys.length - hits);
      usage.cachedPairs = hits;
    }

    const pending = keys.map((_, i) => i).filter((i) => results[i] === undefined);
    const jobs = pending.map((i) => ({ query: queries[i]!, document: documents[i]!, key: keys[i]! }));
    // A pair borrowed from another request that then fails (its caller aborted, say) is computed here.
    const retry = await this.settle(jobs, results, pending, options.signal, true, usage);
    if (retry.length > 0) {
      const again = retry.map((i) => pending[i]!);
      await this.settle(
        retry.map((i) => jobs[i]!),
        results,
        again,
        options.signal,
        false,
        usage,
      );
    }

    if (cache) {
      const fresh = pending.map((i) => [keys[i]!, results[i]!] as const);
      if (fresh.length > 0) await cache.setMany(fresh);
    }
    return { logits: results as CachedLogits[], usage };
  }

  /** Computes or borrows each job; returns the positions (in `jobs`) whose borrowed result failed. */
  private async settle(
    jobs: readonly Job[],
    results: (CachedLogits | undefined)[],
    targets: readonly number[],
    signal: AbortSignal | undefined,
    borrow: boolean,
    usage: ScoringUsage,
  ): Promise<number[]> {
    const owned = new Map<
      string,
      { job: Job; resolve: (v: CachedLogits) => void; reject: (e: unknown) => void }
    >();
    const promises = jobs.map((job) => {
      const existing = this.inflight.get(job.key);
      if (existing && (borrow || owned.has(job.key)))
        return { promise: existing, borrowed: !owned.has(job.key) };
      let resolve!: (v: CachedLogits) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<CachedLogits>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => {}); // observed below; avoid an unhandled rejection if nobody else waits
      owned.set(job.key, { job, resolve, reject });
      this.inflight.set(job.key, promise);
      promise
        .finally(() => this.inflight.get(job.key) === promise && this.inflight.delete(job.key))
        .catch(() => {});
      return { promise, borrowed: false };
    });

    const work = this.compute([...owned.values()], signal, usage);
    // One abort listener for the whole request (one per pair would trip MaxListenersExceededWarning).
    let settled: PromiseSettledResult<CachedLogits>[];
    try {
      settled = await raceAbort(Promise.allSettled(promises.map((p) => p.promise)), signal);
    } finally {
      await work;
    }
    const failedBorrowed: number[] = [];
    settled.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') results[targets[i]!] = outcome.value;
      else if (promises[i]!.borrowed && !signal?.aborted) failedBorrowed.push(i);
      else throw outcome.reason;
    });
    return failedBorrowed;
  }

  /** Encodes and runs the owned jobs in length-sorted batches, resolving each job as its batch finishes. */
  private async compute(
    owned: { job: Job; resolve: (v: CachedLogits) => void; reject: (e: unknown) => void }[],
    signal: AbortSignal | undefined,
    usage: ScoringUsage,
  ): Promise<void> {
    if (owned.length === 0) return;
    const { encoder, backend, numLabels, limits, metrics, logger, retry } = this.deps;
    let pairs: TokenizedPair[];
    try {
      const prepared = new Map<string, PreparedQuery>();
      pairs = owned.map(({ job }) => {
        let query = prepared.get(job.query);
        if (!query) {
          query = encoder.prepareQuery(job.query);
          prepared.set(job.query, query);
        }
        return encoder.encodePair(query, job.document);
      });
    } catch (error) {
      for (const o of owned) o.reject(error);
      return;
    }
    const plans = planBatches(
      pairs.map((p) => p.inputIds.length),
      limits,
    );
    let next = 0;
    let failure: unknown;
    const lane = async () => {
      while (next < plans.length && failure === undefined) {
        const plan = plans[next++]!;
        try {
          if (signal?.aborted) throw abortError(signal);
          const logits = await withRetry(
            // Raced against the signal so a backend that cannot interrupt a run never holds a TIMEOUT back.
            () => raceAbort(backend.run(buildBatch(pairs, plan, encoder.padTokenId), { signal }), signal),
            retry,
            { signal, logger, what: `A batch of ${plan.indices.length} pairs` },
          );
          if (logits.length !== plan.indices.length * numLabels) {
            throw new RerankerError(
              'BACKEND_FAILED',
              `${backend.name} returned ${logits.length} logits for ${plan.indices.length} rows × ${numLabels} labels.`,
            );
          }
          metrics.recordBatch(plan.indices.length, plan.indices.length * plan.width);
          plan.indices.forEach((pairIndex, row) => {
            usage.computedPairs++;
            usage.tokens += pairs[pairIndex]!.inputIds.length;
            owned[pairIndex]!.resolve(Array.from(logits.subarray(row * numLabels, (row + 1) * numLabels)));
          });
        } catch (error) {
          // An abort (caller or TIMEOUT) wins over whatever the interrupted backend threw.
          failure ??= signal?.aborted
            ? abortError(signal)
            : error instanceof RerankerError
              ? error
              : new RerankerError(
                  'BACKEND_FAILED',
                  `${backend.name} failed a batch: ${errorMessage(error)}`,
                  { cause: error },
                );
        }
      }
    };
    const lanes = Math.max(1, Math.min(backend.concurrency ?? 1, plans.length));
    await Promise.all(Array.from({ length: lanes }, lane));
    // Rejecting an already-resolved job is a no-op, so this fails exactly the pairs left without logits.
    if (failure !== undefined) for (const o of owned) o.reject(failure);
  }

  private async keysFor(queries: readonly string[], documents: readonly string[]): Promise<string[]> {
    const byQuery = new Map<string, number[]>();
    queries.forEach((q, i) => {
      const list = byQuery.get(q);
      if (list) list.push(i);
      else byQuery.set(q, [i]);
    });
    const keys: string[] = new Array(queries.length);
    await Promise.all(
      [...byQuery].map(async ([query, indices]) => {
        const hashed = await pairKeys(
          this.deps.keyContext,
          query,
          indices.map((i) => documents[i]!),
        );
        indices.forEach((i, j) => {
          keys[i] = hashed[j]!;
        });
      }),
    );
    return keys;
  }
}

/** Exact in-process keys (query length-prefixed, so ("ab", "c") and ("a", "bc") differ). */
function localKeys(queries: readonly string[], documents: readonly string[]): string[] {
  return queries.map((query, i) => `local:${query.length}:${query}${documents[i]}`);
}
