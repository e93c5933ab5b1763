import { abortError } from './abort';
import { RerankerError } from './errors';

export interface ComputeBudgetOptions {
  /** Batches that may run at once across every user of the budget (e.g. cores / threadsPerLane). */
  lanes: number;
  /**
   * Threads one running batch may use. The budget itself only counts lanes; backends read this to size
   * their sessions (onnxruntime-node: `intraOpNumThreads`), so lanes × threadsPerLane = the cores.
   * @default 1
   */
  threadsPerLane?: number;
}

/** One lane held by a user; release it exactly when its batch settles (calling again does nothing). */
export interface ComputeLease {
  release(): void;
}

/** One model's (or any caller's) handle on a budget, with its own waiting queue. */
export interface ComputeBudgetUser {
  readonly name: string;
  readonly weight: number;
  /**
   * Resolves with a lane when this user's turn comes. Rejects with `ABORTED` (or the signal's
   * `RerankerError` reason) when `signal` aborts while waiting, and with `DISPOSED` after `close()`;
   * a rejected acquisition never holds a lane.
   */
  acquire(signal?: AbortSignal): Promise<ComputeLease>;
  /** Runs `task` holding a lane, released when it settles (also when it throws). */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Leaves the budget: waiting acquisitions reject with `DISPOSED`; lanes held stay held until released. */
  close(): void;
}

export interface ComputeBudgetUserStats {
  name: string;
  weight: number;
  /** Lanes this user holds now. */
  inUse: number;
  /** Acquisitions of this user waiting for a lane. */
  waiting: number;
  /** Lanes granted to this user since it registered. */
  granted: number;
}

export interface ComputeBudgetStats {
  lanes: number;
  threadsPerLane: number;
  inUse: number;
  waiting: number;
  /** Registered users in registration order (names need not be unique). */
  users: ComputeBudgetUserStats[];
}

interface Waiter {
  grant(lease: ComputeLease): void;
  reject(error: unknown): void;
}

interface UserState {
  stats: ComputeBudgetUserStats;
  queue: Set<Waiter>;
  /** Virtual time of this user's next grant (start-time fair queueing); advances 1/weight a grant. */
  pass: number;
  closed: boolean;
}

/**
 * A process-wide pool of compute lanes shared by several rerankers, so that the batches of every
 * loaded model together never run more threads than there are cores.
 *
 * Fairness: each user has its own FIFO queue, and a freed lane goes to the waiting user with the
 * lowest virtual time (start-time fair queueing over lane grants). A grant advances the user's
 * virtual time by 1 / weight, and a user that starts waiting again resumes no earlier than the
 * virtual time of the last grant, so idle time earns no burst credit. With equal weights this is
 * round-robin over the waiting users; with weights 2 and 1 one user gets two lanes for the other's
 * one. The unit is a batch, not its milliseconds: batches are bounded by each model's row and token
 * limits, and counting grants keeps the order deterministic (timing noise on a shared machine would
 * make a time-based share drift). A weight is how an operator gives a cheap model more turns than an
 * expensive one.
 */
export class ComputeBudget {
  readonly lanes: number;
  readonly threadsPerLane: number;
  #inUse = 0;
  #virtualTime = 0;
  readonly #users: UserState[] = [];

  constructor(options: ComputeBudgetOptions) {
    this.lanes = positiveInteger('lanes', options?.lanes);
    this.threadsPerLane = positiveInteger('threadsPerLane', options?.threadsPerLane ?? 1);
  }

  /**
   * Adds a user (one per model) with its own queue. `weight` is its share of lanes relative to the
   * other waiting users'. @param options.weight @default 1
   */
  register(name: string, options: { weight?: number } = {}): ComputeBudgetUser {
    const weight = options.weight ?? 1;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
      throw new RerankerError(
        'INVALID_CONFIG',
        `A compute budget weight must be a number > 0, got ${weight}.`,
      );
    }
    const state: UserState = {
      stats: { name, weight, inUse: 0, waiting: 0, granted: 0 },
      queue: new Set(),
      pass: this.#virtualTime,
      closed: false,
    };
    this.#users.push(state);
    const acquire = (signal?: AbortSignal) => this.#acquire(state, signal);
    return {
      name,
      weight,
      acquire,
      async run(task, signal) {
        const lease = await acquire(signal);
        try {
          return await task();
        } finally {
          lease.release();
        }
      },
      close: () => this.#close(state),
    };
  }

  stats(): ComputeBudgetStats {
    const users = this.#users.map((u) => ({ ...u.stats, waiting: u.queue.size }));
    return {
      lanes: this.lanes,
      threadsPerLane: this.threadsPerLane,
      inUse: this.#inUse,
      waiting: users.reduce((n, u) => n + u.waiting, 0),
      users,
    };
  }

  #acquire(state: UserState, signal?: AbortSignal): Promise<ComputeLease> {
    if (state.closed) return Promise.reject(closedError(state.stats.name));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<ComputeLease>((resolve, reject) => {
      const onAbort = () => {
        // Only while queued: a granted waiter has left the queue and detached this listener.
        if (state.queue.delete(waiter)) reject(abortError(signal!));
      };
      const waiter: Waiter = {
        grant(lease) {
          signal?.removeEventListener('abort', onAbort);
          resolve(lease);
        },
        reject(error) {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      // A user that was idle resumes at the current virtual time: waiting earns turns, idling does not.
      if (state.queue.size === 0) state.pass = Math.max(state.pass, this.#virtualTime);
      state.queue.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      // Queued even when a lane is free, then granted in fair order: one path, one rule.
      this.#dispatch();
    });
  }

  /** Hands free lanes to waiting users, lowest virtual time first (ties: registration order). */
  #dispatch(): void {
    while (this.#inUse < this.lanes) {
      let next: UserState | undefined;
      for (const user of this.#users) {
        if (user.queue.size > 0 && (next === undefined || user.pass < next.pass)) next = user;
      }
      if (!next) return;
      const waiter = next.queue.values().next().value!;
      next.queue.delete(waiter);
      this.#virtualTime = next.pass;
      next.pass += 1 / next.stats.weight;
      next.stats.granted++;
      next.stats.inUse++;
      this.#inUse++;
      waiter.grant(this.#lease(next));
    }
  }

  #lease(state: UserState): ComputeLease {
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        state.stats.inUse--;
        this.#inUse--;
        this.#dispatch();
      },
    };
  }

  #close(state: UserState): void {
    if (state.closed) return;
    state.closed = true;
    const waiters = [...state.queue];
    state.queue.clear();
    for (const waiter of waiters) waiter.reject(closedError(state.stats.name));
    // Gone from stats at once; a lane it still holds counts in `inUse` until released.
    this.#users.splice(this.#users.indexOf(state), 1);
  }
}

function closedError(name: string): RerankerError {
  return new RerankerError('DISPOSED', `${name} left the compute budget (its reranker was disposed).`);
}

function positiveInteger(key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `A compute budget's ${key} must be a positive integer, got ${String(value)}.`,
      {
        details: { option: key },
      },
    );
  }
  return value;
}
