import { raceAbort } from './abort';
import type { TokenizedPair } from './batching';
import type { CachedLogits } from './cache/contract';
import { type PairKeyContext, pairKeys } from './cache/keys';
import type { PairCache } from './cache/pair-cache';
import type { MetricsRecorder } from './metrics';
import type { BatchScheduler } from './scheduler';
import type { PairEncoder } from './tokenize/pair-encoder';
import { encodePairsSliced } from './tokenize/sliced-encode';
import type { ScoringUsage } from './usage';

export interface PairScorerDeps {
  encoder: PairEncoder;
  scheduler: BatchScheduler;
  keyContext: PairKeyContext;
  cache: PairCache | undefined;
  metrics: MetricsRecorder;
  /** Longest stretch of tokenization before yielding to the event loop (ms). @default TOKENIZE_SLICE_MS */
  tokenizeSliceMs?: number;
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

  /** Encodes the owned jobs and hands them to the shared batch scheduler, resolving each as its batch finishes. */
  private async compute(
    owned: { job: Job; resolve: (v: CachedLogits) => void; reject: (e: unknown) => void }[],
    signal: AbortSignal | undefined,
    usage: ScoringUsage,
  ): Promise<void> {
    if (owned.length === 0) return;
    const { encoder, scheduler } = this.deps;
    let pairs: TokenizedPair[];
    try {
      pairs = await encodePairsSliced(
        encoder,
        owned.map((o) => o.job),
        { signal, sliceMs: this.deps.tokenizeSliceMs },
      );
    } catch (error) {
      for (const o of owned) o.reject(error);
      return;
    }
    const promises = scheduler.submit(pairs, { signal, usage });
    promises.forEach((promise, i) => {
      promise.then(owned[i]!.resolve, owned[i]!.reject);
    });
    await Promise.allSettled(promises);
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
