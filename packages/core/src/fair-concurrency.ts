import type { ConcurrencyOptions, ControllerStats, RequestSlots, TaskContext } from './concurrency';
import { RerankerError } from './errors';
import { DEFAULTS } from './options';

/** A share's own limits, within the shared ones. */
export interface ShareLimits {
  /** Requests of this share running at once. @default the controller's maxParallel */
  maxParallel?: number;
  /** Requests of this share waiting. @default the controller's maxQueue */
  maxQueue?: number;
}

/** One share of a `FairConcurrency`: its requests, limits and FIFO queue. */
export interface ConcurrencyShare extends RequestSlots {
  readonly name: string | undefined;
}

// setTimeout fires at once for delays above 2^31 - 1 ms, which would turn a long timeout into none.
const MAX_TIMER_MS = 2_147_483_647;

interface Waiter {
  /** Hands the slot to this waiter: it stops waiting and its task starts. */
  start(): void;
}

interface Share {
  readonly name: string | undefined;
  readonly maxParallel: number;
  readonly maxQueue: number;
  active: number;
  // A Set keeps insertion order (FIFO) and removes an aborted or timed-out waiter in O(1).
  readonly waiting: Set<Waiter>;
  /** When this share last got a slot (a grant count); the oldest goes first. */
  lastGrant: number;
  drained: Array<() => void>;
}

/**
 * Request slots shared fairly by several users (the models of one server): `maxParallel` requests
 * run at once and `maxQueue` wait over all of them, and each `share()` has its own limits within
 * those and its own FIFO queue. A freed slot goes to the waiting share that got a slot least recently
 * (round-robin over the shares waiting), among those under their own `maxParallel`: a burst on one
 * share waits behind the others' next requests instead of ahead of them. Shares hold no slot while
 * they wait, so a share full to its own limit never holds a shared slot.
 *
 * A small semaphore rather than p-queue, because p-queue's semantics fit badly here: it frees a slot
 * one microtask after a task settles (so `active` lags and a request arriving in that gap is wrongly
 * refused when `maxQueue` is 0), and its `signal` option also races the *running* task, freeing the
 * slot while the aborted task is still running. Here a finished task hands its slot directly to the
 * next waiter in the same synchronous step, so `active + waiting` never over- or under-counts.
 */
export class FairConcurrency {
  readonly #maxParallel: number;
  readonly #maxQueue: number;
  readonly #queueTimeoutMs: number;
  #active = 0;
  #waiting = 0;
  /** Shares with waiters, the only ones a freed slot can go to (idle shares are not referenced). */
  readonly #queued = new Set<Share>();
  #grants = 0;
  #drained: Array<() => void> = [];

  constructor(options: ConcurrencyOptions = {}) {
    const { maxParallel = DEFAULTS.maxParallel, maxQueue = DEFAULTS.maxQueue } = options;
    const { queueTimeoutMs = DEFAULTS.queueTimeoutMs } = options;
    this.#maxParallel = checkInteger('maxParallel', maxParallel, 1, Number.MAX_SAFE_INTEGER);
    this.#maxQueue = checkInteger('maxQueue', maxQueue, 0, Number.MAX_SAFE_INTEGER);
    this.#queueTimeoutMs = checkInteger('queueTimeoutMs', queueTimeoutMs, 1, MAX_TIMER_MS);
  }

  /** A new share (a model's requests); `name` appears in its errors. */
  share(name?: string, limits: ShareLimits = {}): ConcurrencyShare {
    const { maxParallel = this.#maxParallel, maxQueue = this.#maxQueue } = limits;
    const share: Share = {
      name,
      maxParallel: checkInteger('maxParallel', maxParallel, 1, Number.MAX_SAFE_INTEGER),
      maxQueue: checkInteger('maxQueue', maxQueue, 0, Number.MAX_SAFE_INTEGER),
      active: 0,
      waiting: new Set(),
      lastGrant: 0,
      drained: [],
    };
    return {
      name,
      run: (task, options = {}) => this.#run(share, task, options.signal),
      stats: () => this.#shareStats(share),
      drain: () => waitIdle(share.active + share.waiting.size === 0, share.drained),
    };
  }

  #shareStats(share: Share): ControllerStats {
    return {
      waiting: share.waiting.size,
      active: share.active,
      // What this share could start now: its own free slots, as far as shared ones are free.
      available_slots: Math.min(share.maxParallel - share.active, this.#maxParallel - this.#active),
      max_parallel: share.maxParallel,
      max_queue: share.maxQueue,
    };
  }

  /** Every share's requests together, against the shared limits. */
  stats(): ControllerStats {
    return {
      waiting: this.#waiting,
      active: this.#active,
      available_slots: this.#maxParallel - this.#active,
      max_parallel: this.#maxParallel,
      max_queue: this.#maxQueue,
    };
  }

  /** Resolves when no share has a request running or waiting. */
  drain(): Promise<void> {
    return waitIdle(this.#active + this.#waiting === 0, this.#drained);
  }

  #run<T>(share: Share, task: (context: TaskContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    // A share with waiters is at its own limit or the shared one is full (every freed slot is handed
    // out at once), so this check alone keeps each share's order first come first served and never
    // passes another share's waiter that could start.
    if (this.#active < this.#maxParallel && share.active < share.maxParallel)
      return this.#start(share, task, 0);
    if (share.waiting.size >= share.maxQueue) {
      const who = share.name === undefined ? '' : ` for "${share.name}"`;
      return Promise.reject(
        queueFull(
          who,
          share.active,
          `${share.waiting.size} waiting`,
          share.maxQueue,
          this.#shareStats(share),
        ),
      );
    }
    if (this.#waiting >= this.#maxQueue) {
      return Promise.reject(
        queueFull('', this.#active, `${this.#waiting} waiting in all`, this.#maxQueue, this.stats()),
      );
    }
    return this.#enqueue(share, task, signal);
  }

  #enqueue<T>(share: Share, task: (context: TaskContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const enqueuedAt = performance.now();
      const stopWaiting = (): boolean => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (!share.waiting.delete(waiter)) return false;
        this.#waiting--;
        if (share.waiting.size === 0) this.#queued.delete(share);
        return true;
      };
      // The error is made once the waiter left, so its details count it out.
      const leave = (error: () => RerankerError): void => {
        if (!stopWaiting()) return;
        reject(error());
        // A share waiting only for a shared slot holds none: leaving may make it (or all) idle.
        this.#notifyIdle(share);
      };
      const onAbort = (): void => leave(() => abortedError(signal!));
      const waiter: Waiter = {
        start: () => {
          stopWaiting();
          resolve(this.#start(share, task, performance.now() - enqueuedAt));
        },
      };
      const timer = setTimeout(() => {
        leave(
          () =>
            new RerankerError(
              'QUEUE_TIMEOUT',
              `Waited ${this.#queueTimeoutMs} ms for a free slot without getting one (${this.#active} running). ` +
                'Retry later, or raise queueTimeoutMs or maxParallel.',
              { details: { queue_timeout_ms: this.#queueTimeoutMs, ...this.#shareStats(share) } },
            ),
        );
      }, this.#queueTimeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      share.waiting.add(waiter);
      this.#waiting++;
      this.#queued.add(share);
    });
  }

  /** Takes a slot and runs the task; the slot is released before the returned promise settles. */
  #start<T>(share: Share, task: (context: TaskContext) => Promise<T>, waitedMs: number): Promise<T> {
    share.active++;
    this.#active++;
    share.lastGrant = ++this.#grants;
    let running: Promise<T>;
    try {
      running = Promise.resolve(task({ waitedMs }));
    } catch (error) {
      // A task that throws synchronously instead of rejecting still frees its slot.
      running = Promise.reject(error);
    }
    return running.finally(() => this.#release(share));
  }

  #release(share: Share): void {
    share.active--;
    this.#active--;
    this.#dispatch();
    this.#notifyIdle(share);
  }

  /** Hands free shared slots to the least recently served shares that wait and are under their limit. */
  #dispatch(): void {
    while (this.#active < this.#maxParallel) {
      let next: Share | undefined;
      for (const share of this.#queued) {
        if (share.active < share.maxParallel && (next === undefined || share.lastGrant < next.lastGrant)) {
          next = share;
        }
      }
      if (!next) return;
      next.waiting.values().next().value!.start();
    }
  }

  #notifyIdle(share: Share): void {
    if (share.active + share.waiting.size === 0) resolveAll(share.drained);
    if (this.#active + this.#waiting === 0) resolveAll(this.#drained);
  }
}

function queueFull(who: string, active: number, waiting: string, maxQueue: number, stats: ControllerStats) {
  return new RerankerError(
    'QUEUE_FULL',
    `Too many requests${who}: ${active} running and ${waiting} (maxQueue ${maxQueue}). ` +
      'Retry later, or raise maxParallel or maxQueue if the machine has capacity to spare.',
    { details: { ...stats } },
  );
}

function waitIdle(idle: boolean, drained: Array<() => void>): Promise<void> {
  if (idle) return Promise.resolve();
  return new Promise((resolve) => drained.push(resolve));
}

function resolveAll(drained: Array<() => void>): void {
  for (const resolve of drained.splice(0)) resolve();
}

function abortedError(signal: AbortSignal): RerankerError {
  return new RerankerError(
    'ABORTED',
    'The request was aborted by its caller before it got a slot to run; it was not run.',
    { cause: signal.reason },
  );
}

export function checkInteger(option: string, value: number, min: number, max: number): number {
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
