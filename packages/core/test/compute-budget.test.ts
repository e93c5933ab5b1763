import { describe, expect, it } from 'vitest';
import { ComputeBudget, type ComputeBudgetUser, type ComputeLease } from '../src/index';

/** Lets granted acquisitions' handlers run (grants resolve promises; no timing involved). */
const flush = () => new Promise((r) => setTimeout(r, 0));

/** Queues `n` acquisitions of `user`, recording into `order` the user's name as each is granted. */
function queue(
  user: ComputeBudgetUser,
  n: number,
  order: string[],
  leases: ComputeLease[],
  signal?: AbortSignal,
) {
  return Array.from({ length: n }, () =>
    user.acquire(signal).then((lease) => {
      order.push(user.name);
      leases.push(lease);
      return lease;
    }),
  );
}

/** Releases the oldest held lease and lets the next grant's handler run. */
async function releaseOldest(leases: ComputeLease[]) {
  leases.shift()!.release();
  await flush();
}

describe('ComputeBudget', () => {
  it("a burst of 50 batches on model A cannot starve model B's one: B gets the next lane", async () => {
    const budget = new ComputeBudget({ lanes: 2 });
    const a = budget.register('a');
    const b = budget.register('b');
    const order: string[] = [];
    const leases: ComputeLease[] = [];
    const burst = queue(a, 50, order, leases);
    await flush();
    expect(order).toEqual(['a', 'a']); // both lanes taken, 48 of A's waiting
    const single = queue(b, 1, order, leases);
    await flush();
    expect(budget.stats()).toMatchObject({ inUse: 2, waiting: 49 });
    await releaseOldest(leases);
    expect(order).toEqual(['a', 'a', 'b']);
    await single[0];
    while (leases.length > 0) await releaseOldest(leases);
    await Promise.all(burst);
    expect(order.filter((n) => n === 'a')).toHaveLength(50);
    expect(budget.stats()).toMatchObject({ inUse: 0, waiting: 0 });
  });

  it('grants alternate between waiting users, and weights set the share (2:1)', async () => {
    const even = new ComputeBudget({ lanes: 1 });
    const order: string[] = [];
    const leases: ComputeLease[] = [];
    queue(even.register('a'), 6, order, leases);
    queue(even.register('b'), 6, order, leases);
    queue(even.register('c'), 6, order, leases);
    for (let i = 0; i < 9; i++) await releaseOldest(await settle(leases));
    expect(order.slice(0, 9).join('')).toBe('abcabcabc');

    const weighted = new ComputeBudget({ lanes: 1 });
    const wOrder: string[] = [];
    const wLeases: ComputeLease[] = [];
    queue(weighted.register('heavy', { weight: 2 }), 30, wOrder, wLeases);
    queue(weighted.register('light'), 30, wOrder, wLeases);
    for (let i = 0; i < 30; i++) await releaseOldest(await settle(wLeases));
    const first30 = wOrder.slice(0, 30);
    expect(first30.filter((n) => n === 'heavy')).toHaveLength(20);
    expect(first30.filter((n) => n === 'light')).toHaveLength(10);
  });

  it('idle time earns no credit: a user that was idle while another ran does not then take a run of lanes', async () => {
    const budget = new ComputeBudget({ lanes: 1 });
    const a = budget.register('a');
    const b = budget.register('b');
    const order: string[] = [];
    const leases: ComputeLease[] = [];
    queue(a, 10, order, leases);
    for (let i = 0; i < 9; i++) await releaseOldest(await settle(leases)); // A alone: 10 grants
    queue(a, 4, order, leases);
    queue(b, 4, order, leases);
    for (let i = 0; i < 8; i++) await releaseOldest(await settle(leases));
    expect(order.slice(10, 16).join('')).toBe('bababa');
  });

  it('an acquisition aborted while waiting rejects, holds no lane, and is never granted', async () => {
    const budget = new ComputeBudget({ lanes: 1 });
    const a = budget.register('a');
    const b = budget.register('b');
    const held = await a.acquire();
    const controller = new AbortController();
    const aborted = b.acquire(controller.signal);
    const next = a.acquire();
    expect(budget.stats().users.map((u) => u.waiting)).toEqual([1, 1]);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    expect(budget.stats().users.map((u) => u.waiting)).toEqual([1, 0]);
    held.release();
    const lease = await next; // the lane B gave up goes to A, not to the aborted waiter
    expect(budget.stats()).toMatchObject({ inUse: 1, waiting: 0 });
    expect(budget.stats().users.map((u) => u.granted)).toEqual([2, 0]);
    lease.release();
    lease.release(); // idempotent: never frees a lane twice
    expect(budget.stats().inUse).toBe(0);
    await expect(b.acquire(AbortSignal.abort())).rejects.toMatchObject({ code: 'ABORTED' });
    expect(budget.stats()).toMatchObject({ inUse: 0, waiting: 0 });
  });

  it('a failed task releases its lane and the next waiter runs', async () => {
    const budget = new ComputeBudget({ lanes: 1 });
    const a = budget.register('a');
    const failing = a.run(async () => {
      throw new Error('batch failed');
    });
    const after = a.run(async () => budget.stats().inUse);
    await expect(failing).rejects.toThrow('batch failed');
    expect(await after).toBe(1);
    expect(budget.stats()).toMatchObject({ inUse: 0, waiting: 0 });
  });

  it('close() rejects the waiting acquisitions with DISPOSED; a lane still held is released normally', async () => {
    const budget = new ComputeBudget({ lanes: 1 });
    const a = budget.register('a');
    const b = budget.register('b');
    const held = await a.acquire();
    const waiting = a.acquire();
    const other = b.acquire();
    a.close();
    await expect(waiting).rejects.toMatchObject({ code: 'DISPOSED' });
    await expect(a.acquire()).rejects.toMatchObject({ code: 'DISPOSED' });
    expect(budget.stats().users.map((u) => u.name)).toEqual(['b']);
    held.release();
    (await other).release();
    expect(budget.stats()).toMatchObject({ inUse: 0, waiting: 0 });
  });

  it('reports lanes, threads, and per-user use and waiting', async () => {
    const budget = new ComputeBudget({ lanes: 2, threadsPerLane: 3 });
    const a = budget.register('a', { weight: 2 });
    budget.register('b');
    const leases = await Promise.all([a.acquire(), a.acquire()]);
    void a.acquire().then((l) => l.release());
    expect(budget.stats()).toEqual({
      lanes: 2,
      threadsPerLane: 3,
      inUse: 2,
      waiting: 1,
      users: [
        { name: 'a', weight: 2, inUse: 2, waiting: 1, granted: 2 },
        { name: 'b', weight: 1, inUse: 0, waiting: 0, granted: 0 },
      ],
    });
    for (const lease of leases) lease.release();
    await flush();
    expect(budget.stats()).toMatchObject({ inUse: 0, waiting: 0 });
  });

  it('rejects lanes, threads and weights that are not positive', () => {
    expect(() => new ComputeBudget({ lanes: 0 })).toThrow(/lanes must be a positive integer/);
    expect(() => new ComputeBudget({ lanes: 2, threadsPerLane: 1.5 })).toThrow(/threadsPerLane/);
    expect(() => new ComputeBudget({ lanes: 1 }).register('a', { weight: 0 })).toThrow(
      /weight must be a number > 0/,
    );
  });
});

/** Waits until at least one lease is held (the previous release's grant has run). */
async function settle(leases: ComputeLease[]): Promise<ComputeLease[]> {
  while (leases.length === 0) await flush();
  return leases;
}
