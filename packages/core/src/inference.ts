import { raceAbort } from './abort';
import type { TokenizedPair } from './batching';
import type { CachedLogits } from './cache/contract';
import { type PairKeyContext, pairKeys } from './cache/keys';
import type { PairCache } from './cache/pair-cache';
import type { KindEncoder } from './kinds/kind';
import type { MetricsRecorder } from './metrics';
import type { BatchScheduler } from './scheduler';
import { encodePairsSliced } from './tokenize/sliced-encode';
import type { ScoringUsage } from './usage';

export interface PairScorerDeps {
  encoder: KindEncoder;
  /** What a pair key covers beyond the texts, for one call's instruction (the kind's `keyParts`). */
  keyParts: (instruction: string | undefined) => readonly unknown[];
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
  instruction: string | undefined;
  key: string;
}

/** One call to `logits`: its pairs, their keys, and what is known so far. */
interface Request {
  queries: readonly string[];
  documents: readonly string[];
  instruction: string | undefined;
  keys: readonly string[];
  results: (CachedLogits | undefined)[];
  usage: ScoringUsage;
  /**
   * In-flight entries this request computed whose value arrived: they stay borrowable until the request
   * ends (after its cache write), else an identical request arriving meanwhile finds the pair neither in
   * flight nor cached and computes it again (what concurrent repeats did to the server's cache benefit).
   */
  held: Map<string, Promise<CachedLogits>>;
  ended: boolean;
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
    options: { signal?: AbortSignal; useCache: boolean; instruction?: string },
  ): Promise<{ logits: CachedLogits[]; usage: ScoringUsage }> {
    const usage: ScoringUsage = { computedPairs: 0, cachedPairs: 0, tokens: 0 };
    const cache = options.useCache ? this.deps.cache : undefined;
    // Without a cache the keys only match identical in-flight pairs: a cheap exact key beats hashing.
    const { instruction } = options;
    const parts = this.deps.keyParts(instruction);
    const keys = cache ? await this.keysFor(queries, documents, parts) : localKeys(queries, documents, parts);
    const request: Request = {
      queries,
      documents,
      instruction,
      keys,
      results: new Array(keys.length),
      usage,
      held: new Map(),
      ended: false,
    };
    const { signal } = options;
    try {
      if (cache) await this.throughCache(request, cache, signal);
      else await this.computeAt(request, [...keys.keys()], signal);
    } finally {
      request.ended = true;
      for (const [key, promise] of request.held) this.forget(key, promise);
    }
    return { logits: request.results as CachedLogits[], usage };
  }

  private forget(key: string, promise: Promise<CachedLogits>): void {
    if (this.inflight.get(key) === promise) this.inflight.delete(key);
  }

  /**
   * Fills `request.results` with the cache's hits, then claims the misses: the pairs this caller holds
   * are computed while those another server claimed are awaited (with the request's signal), and what
   * was computed is written, then released.
   */
  private async throughCache(request: Request, cache: PairCache, signal?: AbortSignal): Promise<void> {
    const { keys, results } = request;
    (await cache.getMany(keys)).forEach((value, i) => {
      if (value) results[i] = value;
    });
    const missing = [...keys.keys()].filter((i) => results[i] === undefined);
    const missingKeys = [...new Set(missing.map((i) => keys[i]!))];
    const owned = await cache.claim(missingKeys);
    const claimed = missingKeys.filter((_, i) => owned[i]);
    const theirs = missingKeys.filter((_, i) => !owned[i]);
    const awaited = new Set(theirs);
    // Ends the wait with the request, and also when computing our own pairs fails first.
    const waitEnd = follow(signal);
    let released = false;
    try {
      const mine = missing.filter((i) => !awaited.has(keys[i]!));
      const [, waited] = await Promise.all([
        this.computeAt(request, mine, signal),
        theirs.length > 0 ? cache.wait(theirs, waitEnd.signal) : [],
      ]);
      const arrived = new Map(theirs.map((key, i) => [key, waited[i]]));
      for (const i of missing) if (awaited.has(keys[i]!)) results[i] = arrived.get(keys[i]!);
      // Pairs whose claim ended without a value (failed, expired, waited out) are computed here.
      const leftovers = missing.filter((i) => results[i] === undefined);
      const hits = keys.length - mine.length - leftovers.length;
      this.deps.metrics.recordCache(hits, keys.length - hits);
      request.usage.cachedPairs = hits;
      await this.computeAt(request, leftovers, signal);

      const fresh = [...mine, ...leftovers].map((i) => [keys[i]!, results[i]!] as const);
      if (fresh.length > 0) await cache.setMany(fresh);
      // After the write, so a server waiting for these pairs finds them rather than a vanished claim.
      await cache.release(claimed);
      released = true;
    } finally {
      waitEnd.abort();
      // A failed or aborted request lets the others compute its pairs now, not when the claims expire.
      if (!released) void cache.release(claimed);
    }
  }

  /** Computes (or borrows) the pairs at `positions`, retrying once without borrowing what failed elsewhere. */
  private async computeAt(
    request: Request,
    positions: readonly number[],
    signal?: AbortSignal,
  ): Promise<void> {
    if (positions.length === 0) return;
    const { queries, documents, keys, instruction } = request;
    const jobs = positions.map((i) => ({
      query: queries[i]!,
      document: documents[i]!,
      instruction,
      key: keys[i]!,
    }));
    // A pair borrowed from another request that then fails (its caller aborted, say) is computed here.
    const retry = await this.settle(request, jobs, positions, signal, true);
    if (retry.length === 0) return;
    await this.settle(
      request,
      retry.map((i) => jobs[i]!),
      retry.map((i) => positions[i]!),
      signal,
      false,
    );
  }

  /** Computes or borrows each job; returns the positions (in `jobs`) whose borrowed result failed. */
  private async settle(
    request: Request,
    jobs: readonly Job[],
    targets: readonly number[],
    signal: AbortSignal | undefined,
    borrow: boolean,
  ): Promise<number[]> {
    const { results, usage } = request;
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
      // A failure is forgotten at once (a borrower recomputes it); a value is held until the request ends.
      promise.then(
        () => (request.ended ? this.forget(job.key, promise) : request.held.set(job.key, promise)),
        () => this.forget(job.key, promise),
      );
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

  private async keysFor(
    queries: readonly string[],
    documents: readonly string[],
    parts: readonly unknown[],
  ): Promise<string[]> {
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
          parts,
        );
        indices.forEach((i, j) => {
          keys[i] = hashed[j]!;
        });
      }),
    );
    return keys;
  }
}

/**
 * Exact in-process keys (query length-prefixed, so ("ab", "c") and ("a", "bc") differ; the kind's
 * parts, such as the instruction, JSON-encoded in front).
 */
function localKeys(
  queries: readonly string[],
  documents: readonly string[],
  parts: readonly unknown[],
): string[] {
  const head = parts.length === 0 ? 'local:' : `local:${JSON.stringify(parts)}:`;
  return queries.map((query, i) => `${head}${query.length}:${query}${documents[i]}`);
}

/** A controller that aborts when `signal` does, or when aborted itself (which also drops the listener). */
function follow(signal: AbortSignal | undefined): AbortController {
  const controller = new AbortController();
  if (!signal) return controller;
  const forward = () => controller.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });
  controller.signal.addEventListener('abort', () => signal.removeEventListener('abort', forward), {
    once: true,
  });
  return controller;
}
