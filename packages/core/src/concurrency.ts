import { RerankerError } from './errors';
import { DEFAULTS } from './options';

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

// setTimeout fires at once for delays above 2^31 - 1 ms, which would turn a long timeout into none.
const MAX_TIMER_MS = 2_147_483_647;

interface Waiter {
  /** Hands the slot to this waiter: it stops waiting and its task starts. */
  start(): void;
}

/**
 * Bounds how many requests run at once and how many may wait, with exact live counts.
 *
 * A small semaphore rather than p-queue, because p-queue's semantics fit badly here: it frees a slot
 * one microtask after a task settles (so `active` lags and a request arriving in that gap is wrongly
 * refused when `maxQueue` is 0), and its `signal` option also races the *running* task, freeing the
 * slot while the aborted task is still running. Here a finished task hands its slot directly to the
 * first waiter in the same synchronous step, so `active + waiting` never over- or under-counts.
 */
export class ConcurrencyController {
  readonly #maxParallel: number;
  readonly #maxQueue: number;
  readonly #queueTimeoutMs: number;
  #active = 0;
  // A Set keeps insertion order (FIFO) and removes an aborted or timed-out waiter in O(1).
  readonly #waiting = new Set<Waiter>();
  #drained: Array<() => void> = [];

  constructor(options: ConcurrencyOptions = {}) {
    const { maxParallel = DEFAULTS.maxParallel, maxQueue = DEFAULTS.maxQueue } = options;
    const { queueTimeoutMs = DEFAULTS.queueTimeoutMs } = options;
    this.#maxParallel = checkInteger('maxParallel', maxParallel, 1, Number.MAX_SAFE_INTEGER);
    this.#maxQueue = checkInteger('maxQueue', maxQueue, 0, Number.MAX_SAFE_INTEGER);
    this.#queueTimeoutMs = checkInteger('queueTimeoutMs', queueTimeoutMs, 1, MAX_TIMER_MS);
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
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    // While anyone waits every slot is taken (a freed slot goes straight to a waiter), so this check
    // alone keeps the order first come first served.
    if (this.#active < this.#maxParallel) return this.#start(task, 0);
    if (this.#waiting.size >= this.#maxQueue) {
      return Promise.reject(
        new RerankerError(
          'QUEUE_FULL',
          `Too many requests: ${this.#active} running and ${this.#waiting.size} waiting (maxQueue ${this.#maxQueue}). ` +
            'Retry later, or raise maxParallel or maxQueue if the machine has capacity to spare.',
          { details: { ...this.stats() } },
        ),
      );
    }
    return this.#enqueue(task, signal);
  }

  stats(): ControllerStats {
    return {
      waiting: this.#waiting.size,
      active: this.#active,
      available_slots: this.#maxParallel - this.#active,
      max_parallel: this.#maxParallel,
      max_queue: this.#maxQueue,
    };
  }

  /**
   * Resolves when no task is active or waiting (graceful shutdown). It does not stop new requests:
   * ones accepted meanwhile are waited for too, so stop accepting work before draining.
   */
  drain(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  #enqueue<T>(task: (context: TaskContext) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const enqueuedAt = performance.now();
      const stopWaiting = (): boolean => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        return this.#waiting.delete(waiter);
      };
      const onAbort = (): void => {
        if (stopWaiting()) reject(abortedError(signal!));
      };
      const waiter: Waiter = {
        start: () => {
          stopWaiting();
          resolve(this.#start(task, performance.now() - enqueuedAt));
        },
      };
      const timer = setTimeout(() => {
        if (!stopWaiting()) return;
        reject(
          new RerankerError(
            'QUEUE_TIMEOUT',
            `Waited ${this.#queueTimeoutMs} ms for a free slot without getting one (${this.#active} running). ` +
              'Retry later, or raise queueTimeoutMs or maxParallel.',
            { details: { queue_timeout_ms: this.#queueTimeoutMs, ...this.stats() } },
          ),
        );
      }, this.#queueTimeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.add(waiter);
    });
  }

  /** Takes a slot and runs the task; the slot is released before the returned promise settles. */
  #start<T>(task: (context: TaskContext) => Promise<T>, waitedMs: number): Promise<T> {
    this.#active++;
    let running: Promise<T>;
    try {
      running = Promise.resolve(task({ waitedMs }));
    } catch (error) {
      // A task that throws synchronously instead of rejecting still frees its slot.
      running = Promise.reject(error);
    }
    return running.finally(() => this.#release());
  }

  #release(): void {
    this.#active--;
    const next = this.#waiting.values().next();
    if (!next.done) {
      next.value.start();
      return;
    }
    if (this.#isIdle()) {
      const drained = this.#drained;
      this.#drained = [];
      for (const resolve of drained) resolve();
    }
  }

  #isIdle(): boolean {
    return this.#active === 0 && this.#waiting.size === 0;
  }
}

function abortedError(signal: AbortSignal): RerankerError {
  return new RerankerError(
    'ABORTED',
    'The request was aborted by its caller before it got a slot to run; it was not run.',
    { cause: signal.reason },
  );
}

function checkInteger(option: string, value: number, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `${option} must be an integer from ${min} to ${max}, got ${String(value)}. ` +
        `Pass a whole number in that range, or leave ${option} unset for the default.`,
      { details: { option, value } },
    );
  }
  return value;
}
