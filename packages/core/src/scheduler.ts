import { abortError } from './abort';
import type { BatchSizer } from './auto-batch';
import { type Backend, checkLogits } from './backend';
import { type BatchLimits, batchKey, buildBatch, type TokenizedPair } from './batching';
import type { CachedLogits } from './cache/contract';
import type { ComputeBudgetUser, ComputeLease } from './compute-budget';
import { errorMessage, RerankerError } from './errors';
import type { Logger } from './logger';
import type { MetricsRecorder } from './metrics';
import { type RetryPolicy, withRetry } from './retry';
import { type Entry, type Plan, planBatch, settle, type Ticket } from './scheduler-plan';
import type { ScoringUsage } from './usage';

export interface SchedulerDeps {
  backend: Backend;
  numLabels: number;
  padTokenId: number;
  limits: BatchLimits;
  retry: RetryPolicy;
  logger: Logger;
  metrics: MetricsRecorder;
  /** How long a free worker waits for a fuller batch while another worker is busy; 0 disables. */
  microBatchWindowMs: number;
  /** With `batchSize: 'auto'`: chooses the row limit (over `limits.batchSize`) and learns from each batch. */
  sizer?: BatchSizer;
  /** The clock batches are timed with (tests use a fake one). @default performance.now */
  now?: () => number;
  /** A shared compute budget: every batch first takes one of its lanes. @default none (only `backend.concurrency` bounds batches) */
  budget?: ComputeBudgetUser;
}

/**
 * One queue for the pairs of every request: batches are packed across requests by the row and padded
 * token limits, taking pairs round-robin from each request (shortest first) so a 1000-document
 * request cannot starve a 5-document one. Each worker lane gets the next batch as soon as it is free.
 * A batch holds pairs of one `batchKey` (decoder kinds: one shared prefix), so a backend runs every
 * row against the same prefix.
 */
export class BatchScheduler {
  private tickets: Ticket[] = [];
  private cursor = 0;
  private running = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Aborts the one budget acquisition in flight (when the work it was for is gone). */
  private acquiring: AbortController | undefined;

  constructor(private readonly deps: SchedulerDeps) {}

  /** Queues the pairs of one request; one promise per pair, in input order. */
  submit(
    pairs: readonly TokenizedPair[],
    options: { signal?: AbortSignal; usage: ScoringUsage },
  ): Promise<CachedLogits>[] {
    const { signal } = options;
    const ticket: Ticket = {
      entries: [],
      next: 0,
      usage: options.usage,
      enqueuedAt: performance.now(),
      unsettled: pairs.length,
      detach() {},
    };
    const promises = pairs.map(
      (pair) =>
        new Promise<CachedLogits>((resolve, reject) => {
          ticket.entries.push({ pair, ticket, settled: false, resolve, reject });
        }),
    );
    // By prefix (a batch holds one), then shortest first; cross-encoder pairs all share one key.
    ticket.entries.sort((a, b) => {
      const [ka, kb] = [batchKey(a.pair), batchKey(b.pair)];
      return ka < kb ? -1 : ka > kb ? 1 : a.pair.inputIds.length - b.pair.inputIds.length;
    });
    if (signal?.aborted) {
      this.cancel(ticket, abortError(signal));
      return promises;
    }
    if (signal) {
      // The pairs still waiting are dropped at once; rows already in a running batch finish unused.
      const onAbort = () => this.cancel(ticket, abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      ticket.detach = () => signal.removeEventListener('abort', onAbort);
    }
    this.tickets.push(ticket);
    this.pump();
    return promises;
  }

  /** Pairs waiting for a batch, over all requests. */
  pending(): number {
    return this.tickets.reduce((n, t) => n + t.entries.length - t.next, 0);
  }

  private cancel(ticket: Ticket, error: unknown): void {
    ticket.detach();
    for (const entry of ticket.entries) settle(entry, error);
    this.tickets = this.tickets.filter((t) => t !== ticket);
    // Nothing left to run: give up the place in the budget's queue rather than take a lane for nothing.
    if (this.tickets.length === 0) this.acquiring?.abort();
  }

  private lanes(): number {
    return Math.max(1, this.deps.backend.concurrency ?? 1);
  }

  private pump(): void {
    while (this.running < this.lanes() && !this.acquiring) {
      const plan = this.plan();
      if (!plan) return;
      const window = this.deps.microBatchWindowMs;
      if (window > 0 && this.running > 0 && !plan.full) {
        // Another worker is busy: this one may wait briefly for pairs that fill its batch better.
        const oldest = Math.min(...this.tickets.map((t) => t.enqueuedAt));
        const wait = oldest + window - performance.now();
        if (wait > 0) {
          this.timer ??= setTimeout(() => {
            this.timer = undefined;
            this.pump();
          }, wait);
          return;
        }
      }
      if (!this.deps.budget) this.start(plan);
      else this.acquireLane(this.deps.budget); // sets `acquiring`, which ends the loop
    }
  }

  /**
   * Waits for a budget lane, then runs the batch planned at that moment (pairs that arrived while
   * waiting can join it). One acquisition at a time: the budget's queue holds this model's next batch.
   */
  private acquireLane(budget: ComputeBudgetUser): void {
    const acquiring = new AbortController();
    this.acquiring = acquiring;
    budget.acquire(acquiring.signal).then(
      (lease) => {
        this.acquiring = undefined;
        const plan = this.plan();
        if (plan) this.start(plan, lease);
        else lease.release();
        this.pump();
      },
      (error: unknown) => {
        this.acquiring = undefined;
        // Aborted by us because the work was canceled; new work may have come since.
        if (acquiring.signal.aborted) this.pump();
        else for (const ticket of [...this.tickets]) this.cancel(ticket, error);
      },
    );
  }

  private start(plan: Plan, lease?: ComputeLease): void {
    for (const [ticket, next] of plan.advance) ticket.next = next;
    this.tickets = this.tickets.filter((t) => t.next < t.entries.length);
    this.cursor++;
    this.running++;
    void this.execute(plan.entries, plan.width, plan.size).finally(() => {
      this.running--;
      this.pump();
      // After pump: this model's next batch is queued in the budget before the lane is freed, so it
      // competes for it by its weight instead of losing it to whoever was already waiting. A failed
      // batch releases too (execute never throws).
      lease?.release();
    });
  }

  /** The next batch: round-robin over requests from a rotating start, within the batch limits. */
  private plan(): Plan | undefined {
    const batchSize = this.batchSize();
    return planBatch(this.tickets, this.cursor, { ...this.deps.limits, batchSize });
  }

  /** The row limit in use: the sizer's with `batchSize: 'auto'`, else the fixed one. */
  batchSize(): number {
    return this.deps.sizer?.current() ?? this.deps.limits.batchSize;
  }

  private async execute(entries: Entry[], width: number, size: number): Promise<void> {
    const { backend, numLabels, padTokenId, retry, logger, metrics, sizer } = this.deps;
    const now = this.deps.now ?? (() => performance.now());
    const pairs = entries.map((e) => e.pair);
    const rows = pairs.map((_, i) => i);
    try {
      // No request's signal goes to the backend: the batch is shared, and one caller leaving must not
      // cancel the others' rows.
      let ms = 0;
      const output = await withRetry(
        async () => {
          const batch = buildBatch(pairs, { indices: rows, width }, padTokenId);
          const start = now();
          const result = await backend.run(batch);
          ms = now() - start; // the attempt that succeeded, without retry back-off
          return result;
        },
        retry,
        { logger, what: `A batch of ${entries.length} pairs` },
      );
      const logits = checkLogits(output, entries.length, numLabels, backend.name);
      metrics.recordBatch(entries.length, entries.length * width);
      sizer?.observe({ size, rows: entries.length, paddedTokens: entries.length * width, ms });
      entries.forEach((entry, row) => {
        if (entry.settled) return;
        entry.ticket.usage.computedPairs++;
        entry.ticket.usage.tokens += entry.pair.inputIds.length;
        settle(entry, undefined, Array.from(logits.subarray(row * numLabels, (row + 1) * numLabels)));
      });
    } catch (error) {
      const failure =
        error instanceof RerankerError
          ? error
          : new RerankerError('BACKEND_FAILED', `${backend.name} failed a batch: ${errorMessage(error)}`, {
              cause: error,
            });
      // A failed batch fails its requests whole: their other pairs are not worth computing.
      for (const ticket of new Set(entries.map((e) => e.ticket))) this.cancel(ticket, failure);
    }
  }
}
