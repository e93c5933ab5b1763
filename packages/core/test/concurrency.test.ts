import { describe, expect, it, vi } from 'vitest';
import { ConcurrencyController, type ConcurrencyOptions } from '../src/concurrency';
import { RerankerError } from '../src/errors';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The promise's rejection if it settles within one macrotask, else 'pending' (so "at once" is checked). */
async function rejectionWithinATick(promise: Promise<unknown>): Promise<unknown> {
  const pending = new Promise((resolve) => setTimeout(() => resolve('pending'), 0));
  return Promise.race([
    promise.then(
      () => 'resolved',
      (error: unknown) => error,
    ),
    pending,
  ]);
}

/** A task that records its start and then blocks until released. */
function blocker<T>(value: T, started: string[], name: string) {
  const gate = deferred();
  const task = async () => {
    started.push(name);
    await gate.promise;
    return value;
  };
  return { task, release: () => gate.resolve() };
}

describe('ConcurrencyController', () => {
  it('keeps waiting, active and available slots exact at every step', async () => {
    const controller = new ConcurrencyController({ maxParallel: 2, maxQueue: 3 });
    const started: string[] = [];
    expect(controller.stats()).toEqual({
      waiting: 0,
      active: 0,
      available_slots: 2,
      max_parallel: 2,
      max_queue: 3,
    });

    const a = blocker('a', started, 'a');
    const runA = controller.run(a.task);
    expect(controller.stats()).toMatchObject({ waiting: 0, active: 1, available_slots: 1 });
    const b = blocker('b', started, 'b');
    const runB = controller.run(b.task);
    const c = blocker('c', started, 'c');
    const runC = controller.run(c.task);
    const d = blocker('d', started, 'd');
    const runD = controller.run(d.task);
    expect(controller.stats()).toMatchObject({ waiting: 2, active: 2, available_slots: 0 });
    expect(started).toEqual(['a', 'b']);

    a.release();
    await expect(runA).resolves.toBe('a');
    expect(controller.stats()).toMatchObject({ waiting: 1, active: 2, available_slots: 0 });
    expect(started).toEqual(['a', 'b', 'c']);

    b.release();
    c.release();
    await expect(runB).resolves.toBe('b');
    await expect(runC).resolves.toBe('c');
    expect(controller.stats()).toMatchObject({ waiting: 0, active: 1, available_slots: 1 });

    d.release();
    await expect(runD).resolves.toBe('d');
    expect(controller.stats()).toMatchObject({ waiting: 0, active: 0, available_slots: 2 });
  });

  it('rejects at once with QUEUE_FULL when maxQueue requests wait, while the others keep going', async () => {
    const controller = new ConcurrencyController({ maxParallel: 1, maxQueue: 1, queueTimeoutMs: 600_000 });
    const started: string[] = [];
    const a = blocker('a', started, 'a');
    const b = blocker('b', started, 'b');
    const runA = controller.run(a.task);
    const runB = controller.run(b.task);
    const extra = vi.fn(async () => 'extra');

    const error = await rejectionWithinATick(controller.run(extra));
    expect(error).toBeInstanceOf(RerankerError);
    expect(error).toMatchObject({ code: 'QUEUE_FULL', details: { waiting: 1, active: 1, max_queue: 1 } });
    expect((error as Error).message).toMatch(/maxQueue/);
    expect(extra).not.toHaveBeenCalled();
    expect(controller.stats()).toMatchObject({ waiting: 1, active: 1 });

    a.release();
    await expect(runA).resolves.toBe('a');
    b.release();
    await expect(runB).resolves.toBe('b');
    expect(started).toEqual(['a', 'b']);
    expect(extra).not.toHaveBeenCalled();
  });

  it('with maxQueue 0 runs while a slot is free and refuses otherwise', async () => {
    const controller = new ConcurrencyController({ maxParallel: 1, maxQueue: 0 });
    const started: string[] = [];
    const a = blocker('a', started, 'a');
    const runA = controller.run(a.task);
    const refused = vi.fn(async () => 'b');
    expect(await rejectionWithinATick(controller.run(refused))).toMatchObject({ code: 'QUEUE_FULL' });
    expect(refused).not.toHaveBeenCalled();
    a.release();
    await runA;
    // The slot is free again the moment the first request settles.
    await expect(controller.run(async () => 'c')).resolves.toBe('c');
  });

  it('gives QUEUE_TIMEOUT after queueTimeoutMs and never runs the task', async () => {
    const controller = new ConcurrencyController({ maxParallel: 1, maxQueue: 5, queueTimeoutMs: 30 });
    const started: string[] = [];
    const a = blocker('a', started, 'a');
    const runA = controller.run(a.task);
    const late = vi.fn(async () => 'late');

    const pending = controller.run(late);
    expect(controller.stats()).toMatchObject({ waiting: 1, active: 1 });
    await expect(pending).rejects.toMatchObject({ code: 'QUEUE_TIMEOUT', details: { queue_timeout_ms: 30 } });
    expect(controller.stats()).toMatchObject({ waiting: 0, active: 1 });

    a.release();
    await runA;
    expect(late).not.toHaveBeenCalled();
    expect(controller.stats()).toMatchObject({ waiting: 0, active: 0 });
  });

  it('removes a request aborted while waiting at once, never runs it, and keeps the reason as cause', async () => {
    const controller = new ConcurrencyController({ maxParallel: 1, maxQueue: 5 });
    const started: string[] = [];
    const a = blocker('a', started, 'a');
    const runA = controller.run(a.task);
    const aborted = vi.fn(async () => 'aborted');
    const after = vi.fn(async () => 'after');
    const abort = new AbortController();

    const pending = controller.run(aborted, { signal: abort.signal });
    const runAfter = controller.run(after);
    expect(controller.stats()).toMatchObject({ waiting: 2, active: 1 });

    const reason = new Error('client went away');
    abort.abort(reason);
    expect(controller.stats()).toMatchObject({ waiting: 1, active: 1 });
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RerankerError);
    expect(error).toMatchObject({ code: 'ABORTED' });
    expect((error as Error).cause).toBe(reason);

    a.release();
    await expect(runA).resolves.toBe('a');
    await expect(runAfter).resolves.toBe('after');
    expect(aborted).not.toHaveBeenCalled();
  });

  it('rejects an already-aborted signal at once, even with a free slot', async () => {
    const controller = new ConcurrencyController();
    const task = vi.fn(async () => 'never');
    const error = await rejectionWithinATick(controller.run(task, { signal: AbortSignal.abort('gone') }));
    expect(error).toMatchObject({ code: 'ABORTED', cause: 'gone' });
    expect(task).not.toHaveBeenCalled();
    expect(controller.stats()).toMatchObject({ waiting: 0, active: 0 });
  });

  it('leaves a started task alone when its signal aborts (the task owns that)', async () => {
    const controller = new ConcurrencyController({ maxParallel: 1 });
    const abort = new AbortController();
    const gate = deferred();
    const running = controller.run(
      async () => {
        await gate.promise;
        return 'finished';
      },
      { signal: abort.signal },
    );
    abort.abort();
    // Still holding its slot: freeing it now would let a second task run past maxParallel.
    expect(controller.stats()).toMatchObject({ active: 1 });
    gate.resolve();
    await expect(running).resolves.toBe('finished');
    expect(controller.stats()).toMatchObject({ active: 0 });
  });

  it('frees the slot of a task that rejects or throws synchronously', async () => {
    const controller = new ConcurrencyController({ maxParallel: 1, maxQueue: 0 });
    const failure = new Error('backend exploded');
    await expect(controller.run(async () => Promise.reject(failure))).rejects.toBe(failure);
    expect(controller.stats()).toMatchObject({ active: 0, available_slots: 1 });

    const syncThrow = (): Promise<never> => {
      throw failure;
    };
    await expect(controller.run(syncThrow)).rejects.toBe(failure);
    expect(controller.stats()).toMatchObject({ active: 0 });
    await expect(controller.run(async () => 'next')).resolves.toBe('next');
  });

  it('hands freed slots to waiting requests first come first served', async () => {
    const controller = new ConcurrencyController({ maxParallel: 1, maxQueue: 10 });
    const started: string[] = [];
    const a = blocker('a', started, 'a');
    const runA = controller.run(a.task);
    const abort = new AbortController();
    const runs = ['b', 'c', 'd', 'e'].map((name) =>
      controller.run(
        async () => {
          started.push(name);
          return name;
        },
        name === 'c' ? { signal: abort.signal } : {},
      ),
    );
    abort.abort();
    a.release();
    await runA;
    const results = await Promise.allSettled(runs);
    expect(started).toEqual(['a', 'b', 'd', 'e']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  });

  it('tells the task how long it waited', async () => {
    const controller = new ConcurrencyController({ maxParallel: 1 });
    const gate = deferred();
    let immediate = -1;
    const first = controller.run(async ({ waitedMs }) => {
      immediate = waitedMs;
      await gate.promise;
    });
    const second = controller.run(async ({ waitedMs }) => waitedMs);
    await new Promise((resolve) => setTimeout(resolve, 25));
    gate.resolve();
    await first;
    expect(immediate).toBe(0);
    // Held back for at least ~25 ms; a wide margin because timers may fire slightly early.
    expect(await second).toBeGreaterThanOrEqual(10);
  });

  it('drain resolves once nothing is active or waiting', async () => {
    const controller = new ConcurrencyController({ maxParallel: 1 });
    await controller.drain();

    const started: string[] = [];
    const a = blocker('a', started, 'a');
    const b = blocker('b', started, 'b');
    const runA = controller.run(a.task);
    const runB = controller.run(b.task);
    let drained = false;
    const draining = controller.drain().then(() => {
      drained = true;
    });

    a.release();
    await runA;
    await Promise.resolve();
    expect(drained).toBe(false);
    b.release();
    await runB;
    await draining;
    expect(drained).toBe(true);
    expect(controller.stats()).toMatchObject({ waiting: 0, active: 0 });
  });

  it.each<[keyof ConcurrencyOptions, number]>([
    ['maxParallel', 0],
    ['maxParallel', 1.5],
    ['maxParallel', Number.NaN],
    ['maxQueue', -1],
    ['maxQueue', Number.POSITIVE_INFINITY],
    ['queueTimeoutMs', 0],
    ['queueTimeoutMs', 2 ** 31],
  ])('rejects %s = %s with INVALID_CONFIG naming the option', (option, value) => {
    let thrown: unknown;
    try {
      new ConcurrencyController({ [option]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RerankerError);
    expect(thrown).toMatchObject({ code: 'INVALID_CONFIG', details: { option } });
    expect((thrown as Error).message).toContain(option);
  });

  it('accepts maxQueue 0 and reports the configured limits', () => {
    const stats = new ConcurrencyController({ maxParallel: 3, maxQueue: 0 }).stats();
    expect(stats).toEqual({ waiting: 0, active: 0, available_slots: 3, max_parallel: 3, max_queue: 0 });
    expect(new ConcurrencyController().stats()).toMatchObject({ max_parallel: 4, max_queue: 10 });
  });
});
