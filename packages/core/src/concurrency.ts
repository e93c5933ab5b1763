import { type ConcurrencyShare, FairConcurrency } from './fair-concurrency';

export interface ConcurrencyOptions {
  /** Requests that may run at once. @default 4 */
  maxParallel?: number;
  /**
   * Requests that may wait for a slot; beyond it a request is rejected at once with `QUEUE_FULL`.
   * `0` means no waiting: a request either gets a slot or is rejected. @default 10
   */
  maxQueue?: number;
  /** Longest wait for a slot, in milliseconds, before `QUEUE_TIMEOUT`. @default 30000 */
  queueTimeoutMs?: number;
}

export interface ControllerStats {
  waiting: number;
  active: number;
  available_slots: number;
  max_parallel: number;
  max_queue: number;
}

/** What a task learns when it starts. */
export interface TaskContext {
  /** Milliseconds the request waited for its slot (0 when one was free). */
  waitedMs: number;
}

/**
 * Where requests take their slots: a `ConcurrencyController`, or one share of a `FairConcurrency`
 * (`UnifiedReRankerOptions.requestSlots`).
 */
export interface RequestSlots {
  /**
   * Runs `task` once it holds a slot. Rejects with a `RerankerError`: `QUEUE_FULL` at once when the
   * queue is full; `QUEUE_TIMEOUT` when no slot came within `queueTimeoutMs`; `ABORTED` when `signal`
   * aborts while waiting or was already aborted (the error's `cause` is the signal's reason). The task
   * never runs then. The signal is watched only while waiting; a task that throws frees its slot too.
   */
  run<T>(task: (context: TaskContext) => Promise<T>, options?: { signal?: AbortSignal }): Promise<T>;
  stats(): ControllerStats;
  /** Resolves when none of these requests is running or waiting (new ones are waited for too). */
  drain(): Promise<void>;
}

/**
 * Bounds how many requests run at once and how many may wait, with exact live counts; slots go first
 * come first served. It is a `FairConcurrency` with one share: a finished task hands its slot to the
 * first waiter in the same synchronous step, so `active + waiting` never over- or under-counts.
 */
export class ConcurrencyController implements RequestSlots {
  readonly #share: ConcurrencyShare;

  constructor(options: ConcurrencyOptions = {}) {
    this.#share = new FairConcurrency(options).share();
  }

  /**
   * Runs `task` when a slot is free, first come first served. Rejects with a `RerankerError`:
   * - `QUEUE_FULL` at once when `maxQueue` requests already wait;
   * - `QUEUE_TIMEOUT` when no slot came within `queueTimeoutMs` (the task never runs);
   * - `ABORTED` when `signal` aborts while waiting (the task is removed and never runs) or was
   *   already aborted; the error's `cause` is the signal's reason.
   *
   * The signal is watched only while waiting: once started, a task that should stop on abort must
   * watch the signal itself. A task that throws or rejects frees its slot like one that succeeds.
   */
  run<T>(task: (context: TaskContext) => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    return this.#share.run(task, options);
  }

  stats(): ControllerStats {
    return this.#share.stats();
  }

  /**
   * Resolves when no task is active or waiting (graceful shutdown). It does not stop new requests:
   * ones accepted meanwhile are waited for too, so stop accepting work before draining.
   */
  drain(): Promise<void> {
    return this.#share.drain();
  }
}
