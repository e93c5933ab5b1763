import { describe, expect, it } from 'vitest';
import { RerankerError } from '../src/errors';
import { type ConcurrencyShare, FairConcurrency } from '../src/fair-concurrency';

// Order is read from the order tasks start in, never from timings.

/** Starts a task on `share` that records its start as `name` and holds its slot until released. */
function hold(share: ConcurrencyShare, started: string[], name: string, signal?: AbortSignal) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const done = share.run(
    async () => {
      started.push(name);
      await gate;
      return name;
    },
    { signal },
  );
  return { done, release };
}

/** Releases `held` and waits until its slot has been handed on. */
async function finish(held: { done: Promise<unknown>; release(): void }): Promise<void> {
  held.release();
  await held.done.catch(() => {});
}

describe('FairConcurrency', () => {
  it('a burst on one share larger than the shared slots: the other share gets the next free slot', async () => {
    const slots = new FairConcurrency({ maxParallel: 2, maxQueue: 10, queueTimeoutMs: 600_000 });
    const a = slots.share('a');
    const b = slots.share('b');
    const started: string[] = [];
    const burst = Array.from({ length: 6 }, (_, i) => hold(a, started, `a${i}`));
    const single = hold(b, started, 'b');
    expect(started).toEqual(['a0', 'a1']);
    expect(slots.stats()).toEqual({
      waiting: 5,
      active: 2,
      available_slots: 0,
      max_parallel: 2,
      max_queue: 10,
    });
    expect(a.stats()).toMatchObject({ waiting: 4, active: 2, available_slots: 0 });
    expect(b.stats()).toMatchObject({ waiting: 1, active: 0, available_slots: 0 });

    await finish(burst[0]!);
    // b waited behind four of a's, and still went first.
    expect(started).toEqual(['a0', 'a1', 'b']);
    expect(b.stats()).toMatchObject({ waiting: 0, active: 1 });
    await finish(burst[1]!);
    await finish(single);
    for (const held of burst.slice(2)) await finish(held);
    // a's own requests kept their order.
    expect(started).toEqual(['a0', 'a1', 'b', 'a2', 'a3', 'a4', 'a5']);
    expect(slots.stats()).toMatchObject({ waiting: 0, active: 0 });
    await slots.drain();
  });

  it('hands slots round-robin over the waiting shares, the least recently served first', async () => {
    const slots = new FairConcurrency({ maxParallel: 1, maxQueue: 20 });
    const [a, b, c] = ['a', 'b', 'c'].map((name) => slots.share(name)) as [
      ConcurrencyShare,
      ConcurrencyShare,
      ConcurrencyShare,
    ];
    const started: string[] = [];
    const held = new Map([['a0', hold(a, started, 'a0')]]);
    for (let i = 1; i <= 3; i++) held.set(`a${i}`, hold(a, started, `a${i}`));
    for (let i = 0; i < 3; i++) held.set(`c${i}`, hold(c, started, `c${i}`));
    held.set('b0', hold(b, started, 'b0'));
    // One slot: the task that started last is the one running; finishing it starts the next.
    for (let done = 0; done < held.size; done++) await finish(held.get(started.at(-1)!)!);
    // c and b never got a slot, so both go before a again; then a, c, b take turns.
    expect(started).toEqual(['a0', 'c0', 'b0', 'a1', 'c1', 'a2', 'c2', 'a3']);
  });

  it('a share at its own limit waits without holding a shared slot; others use the free ones', async () => {
    const slots = new FairConcurrency({ maxParallel: 3, maxQueue: 10 });
    const a = slots.share('a', { maxParallel: 1 });
    const b = slots.share('b');
    const started: string[] = [];
    const a0 = hold(a, started, 'a0');
    const a1 = hold(a, started, 'a1');
    expect(a.stats()).toMatchObject({ active: 1, waiting: 1, available_slots: 0, max_parallel: 1 });
    expect(slots.stats()).toMatchObject({ active: 1, waiting: 1, available_slots: 2 });
    const b0 = hold(b, started, 'b0');
    const b1 = hold(b, started, 'b1');
    expect(started).toEqual(['a0', 'b0', 'b1']);
    expect(b.stats()).toMatchObject({ active: 2, available_slots: 0 });
    // b's slot frees: a is still at its limit, so it stays free.
    await finish(b0);
    expect(started).toEqual(['a0', 'b0', 'b1']);
    expect(slots.stats()).toMatchObject({ active: 2, waiting: 1 });
    await finish(a0);
    expect(started).toEqual(['a0', 'b0', 'b1', 'a1']);
    await Promise.all([finish(a1), finish(b1)]);
  });

  it("refuses with QUEUE_FULL when the share's queue or the shared queue is full", async () => {
    const slots = new FairConcurrency({ maxParallel: 1, maxQueue: 2, queueTimeoutMs: 2000 });
    const a = slots.share('a', { maxQueue: 1 });
    const b = slots.share('b');
    const started: string[] = [];
    const held = [hold(a, started, 'a0'), hold(a, started, 'a1')];
    const own = await a.run(async () => 'never').catch((e: unknown) => e);
    expect(own).toBeInstanceOf(RerankerError);
    expect(own).toMatchObject({ code: 'QUEUE_FULL', details: { waiting: 1, active: 1, max_queue: 1 } });
    expect((own as Error).message).toMatch(
      /^Too many requests for "a": 1 running and 1 waiting \(maxQueue 1\)/,
    );
    held.push(hold(b, started, 'b0'));
    // b has room in its own queue, but the shared one holds 2 of 2.
    const shared = await b.run(async () => 'never').catch((e: unknown) => e);
    expect(shared).toMatchObject({ code: 'QUEUE_FULL', details: { waiting: 2, active: 1, max_queue: 2 } });
    expect((shared as Error).message).toMatch(
      /^Too many requests: 1 running and 2 waiting in all \(maxQueue 2\)/,
    );
    await finish(held[0]!);
    await finish(held[2]!);
    await finish(held[1]!);
    expect(started).toEqual(['a0', 'b0', 'a1']);
  });

  it('a waiter that times out or aborts leaves its share; a share idle again drains', async () => {
    const slots = new FairConcurrency({ maxParallel: 1, maxQueue: 5, queueTimeoutMs: 30 });
    const a = slots.share('a');
    const b = slots.share('b');
    const started: string[] = [];
    const a0 = hold(a, started, 'a0');
    const abort = new AbortController();
    const b0 = hold(b, started, 'b0', abort.signal);
    let bDrained = false;
    const draining = b.drain().then(() => {
      bDrained = true;
    });
    const reason = new Error('client went away');
    abort.abort(reason);
    const aborted = await b0.done.catch((e: unknown) => e);
    expect(aborted).toMatchObject({ code: 'ABORTED', cause: reason });
    await draining;
    expect(bDrained).toBe(true);
    expect(slots.stats()).toMatchObject({ waiting: 0, active: 1 });

    const late = await b.run(async () => 'never').catch((e: unknown) => e);
    expect(late).toMatchObject({ code: 'QUEUE_TIMEOUT', details: { queue_timeout_ms: 30, waiting: 0 } });
    expect(b.stats()).toMatchObject({ waiting: 0, active: 0 });
    await finish(a0);
    expect(started).toEqual(['a0']);
    await slots.drain();
  });

  it('shares take their limits from the controller unless given, and check them', () => {
    const slots = new FairConcurrency({ maxParallel: 3, maxQueue: 7 });
    expect(slots.share().stats()).toEqual({
      waiting: 0,
      active: 0,
      available_slots: 3,
      max_parallel: 3,
      max_queue: 7,
    });
    expect(slots.share('a', { maxParallel: 5, maxQueue: 0 }).stats()).toMatchObject({
      available_slots: 3,
      max_parallel: 5,
      max_queue: 0,
    });
    expect(() => slots.share('a', { maxParallel: 0 })).toThrow(/maxParallel must be an integer/);
    expect(() => slots.share('a', { maxQueue: -1 })).toThrow(/maxQueue must be an integer/);
  });
});
