import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createGlobalLimits, type GlobalLimits, type GlobalLimitsOptions } from '../src/index';

const REDIS = 'redis://127.0.0.1:6379';
const RUN = `test:${randomUUID()}:`;
const admin = new Redis(REDIS, { lazyConnect: true });
const made: GlobalLimits[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.all(made.splice(0).map((limits) => limits.dispose()));
});
afterAll(async () => {
  const keys = await admin.keys(`${RUN}*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

function limits(prefix: string, options: GlobalLimitsOptions): GlobalLimits {
  // A generous timeout: a slow answer would admit without a lease and blur what is tested.
  const created = createGlobalLimits({
    url: REDIS,
    keyPrefix: `${RUN}${prefix}:`,
    timeoutMs: 2000,
    ...options,
  });
  made.push(created);
  return created;
}

/** Resolves once `check` holds, polling; fails after `withinMs` (generous: no timing is asserted). */
async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

/** Whether `limits` gets a real lease now (a Redis hiccup admits without one, which must not count). */
async function leases(limits: GlobalLimits, keep = false): Promise<boolean> {
  const permit = await limits.enter().catch(() => undefined);
  if (!keep) permit?.release();
  return permit?.leased === true;
}

describe('global concurrency leases', () => {
  it('two instances on one prefix share the limit; a release lets the next one in', async () => {
    const a = limits('share', { maxParallel: 2, maxWaiting: 0 });
    const b = limits('share', { maxParallel: 2, maxWaiting: 0 });
    const other = limits('elsewhere', { maxParallel: 2, maxWaiting: 0 });
    const first = await a.enter();
    const second = await b.enter();
    expect([first.leased, second.leased]).toEqual([true, true]);
    expect(await rejection(a.enter())).toMatchObject({
      code: 'QUEUE_FULL',
      details: { scope: 'cluster', max_parallel: 2 },
    });
    expect(await rejection(b.enter())).toMatchObject({ code: 'QUEUE_FULL' });
    // Another prefix is another cluster.
    expect((await other.enter()).leased).toBe(true);
    first.release();
    first.release(); // idempotent: must not free a second slot
    await eventually(() => leases(b, true), 5000);
    expect(await rejection(a.enter())).toMatchObject({ code: 'QUEUE_FULL' });
  });

  it('a request waits for a slot (bounded), then times out or leaves when aborted', async () => {
    const a = limits('wait', { maxParallel: 1, maxWaiting: 2, waitMs: 30_000 });
    const b = limits('wait', { maxParallel: 1, maxWaiting: 1, waitMs: 100 });
    const held = await a.enter();
    const waiter = a.enter();
    const abort = new AbortController();
    const leaving = rejection(a.enter(abort.signal));
    // Two wait on `a` (its limit): a third is refused at once.
    expect(await rejection(a.enter())).toMatchObject({ code: 'QUEUE_FULL', details: { waiting: 2 } });
    abort.abort();
    expect(await leaving).toMatchObject({ code: 'ABORTED' });
    expect(await rejection(b.enter())).toMatchObject({ code: 'QUEUE_TIMEOUT', details: { wait_ms: 100 } });
    held.release();
    const granted = await waiter;
    expect(granted.leased).toBe(true);
    expect(granted.waitedMs).toBeGreaterThan(0);
  });

  it('a held lease is renewed past its TTL', async () => {
    const a = limits('renew', { maxParallel: 1, leaseTtlMs: 600, maxWaiting: 0 });
    const b = limits('renew', { maxParallel: 1, leaseTtlMs: 600, maxWaiting: 0 });
    const held = await a.enter();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await rejection(b.enter())).toMatchObject({ code: 'QUEUE_FULL' });
    held.release();
    await eventually(() => leases(b), 5000);
  });

  it("a killed holder's slot comes back within the lease TTL", async () => {
    const prefix = `${RUN}killed:`;
    const ttl = 1500;
    const child = spawn(
      process.execPath,
      [
        '--conditions=@reranker/source',
        '--import',
        'tsx',
        fileURLToPath(new URL('./helpers/lease-holder.ts', import.meta.url)),
      ],
      {
        env: { ...process.env, LEASE_PREFIX: prefix, LEASE_TTL_MS: String(ttl) },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(child);
    const said = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once('exit', (code) => reject(new Error(`lease holder exited with ${code}`)));
    });
    expect(said).toBe('held');
    const parent = createGlobalLimits({
      url: REDIS,
      keyPrefix: prefix,
      maxParallel: 1,
      leaseTtlMs: ttl,
      maxWaiting: 0,
    });
    made.push(parent);
    expect(await rejection(parent.enter())).toMatchObject({ code: 'QUEUE_FULL' });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const killedAt = Date.now();
    await eventually(() => leases(parent), ttl + 10_000);
    // Generous bound: the point is that it comes back by itself, not how fast.
    expect(Date.now() - killedAt).toBeLessThan(ttl + 10_000);
  });
});

describe('global rate limit', () => {
  it('refuses requests over the limit of the current second with RATE_LIMITED and a retry delay', async () => {
    const a = limits('rate', { rateLimitRps: 3 });
    const b = limits('rate', { rateLimitRps: 3 });
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => rejection((i % 2 ? a : b).enter())),
    );
    const admitted = outcomes.filter((outcome) => outcome === undefined).length;
    // 20 calls land in one 1 s window, two at worst.
    expect(admitted).toBeGreaterThanOrEqual(3);
    expect(admitted).toBeLessThanOrEqual(6);
    for (const error of outcomes.filter(Boolean)) {
      expect(error).toMatchObject({ code: 'RATE_LIMITED', details: { limit: 3, retryAfterSeconds: 1 } });
    }
  });
});

describe('without Redis', () => {
  it('admits every request (local limits only), turns degraded and says so once', async () => {
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (...args: unknown[]) => void warnings.push(String(args.at(-1))),
    };
    const down = createGlobalLimits({
      logger,
      url: 'redis://127.0.0.1:1',
      maxParallel: 1,
      rateLimitRps: 1,
      maxWaiting: 0,
      timeoutMs: 100,
    });
    made.push(down);
    for (let i = 0; i < 6; i++) {
      const permit = await down.enter();
      expect(permit.leased).toBe(false);
    }
    expect(down.status()).toBe('degraded');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/local mode/);
  });
});
