import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { BackendCandidate, Logger, UnifiedReRanker } from '@reranker/core';
import { isRerankerError } from '@reranker/core';
import { referenceBackend, synthesizedModelDir } from '@reranker/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRedisCache, createReranker, distributedStatus } from '../src/index';
import { CircuitBreaker } from '../src/redis/circuit';

interface Log extends Logger {
  lines: { level: string; msg: string }[];
}
function recording(): Log {
  const lines: Log['lines'] = [];
  const push = (level: string) => (o: object | string, m?: string) =>
    lines.push({ level, msg: typeof o === 'string' ? o : (m ?? '') });
  return { lines, debug() {}, info: push('info'), warn: push('warn'), error: push('error') };
}
const redisLines = (log: Log) => log.lines.filter((l) => /redis/i.test(l.msg));

describe('CircuitBreaker', () => {
  afterEach(() => vi.useRealTimers());

  it('opens after N failures, fails fast, probes once after the cool-down and closes on success', async () => {
    vi.useFakeTimers();
    const log = recording();
    const breaker = new CircuitBreaker({ name: 'redis', logger: log, failureThreshold: 2, cooldownMs: 1000 });
    let calls = 0;
    const fail = () => {
      calls += 1;
      return Promise.reject(new Error('down'));
    };
    await expect(breaker.run(fail)).rejects.toThrow('down');
    expect(breaker.status()).toBe('ok');
    await expect(breaker.run(fail)).rejects.toThrow('down');
    expect(breaker.status()).toBe('degraded');
    // Open: refused without calling the operation.
    await expect(breaker.run(fail)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(calls).toBe(2);
    vi.advanceTimersByTime(1000);
    // The probe fails: another cool-down, no second "open" log.
    await expect(breaker.run(fail)).rejects.toThrow('down');
    expect(calls).toBe(3);
    await expect(breaker.run(async () => 'x')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    vi.advanceTimersByTime(1000);
    expect(await breaker.run(async () => 'x')).toBe('x');
    expect(breaker.status()).toBe('ok');
    expect(log.lines.map((l) => l.level)).toEqual(['warn', 'info']);
  });

  it('rejects a threshold or cool-down that is not above 0', () => {
    expect(() => new CircuitBreaker({ name: 'r', logger: recording(), failureThreshold: 0 })).toThrow(
      /failureThreshold/,
    );
    expect(() => new CircuitBreaker({ name: 'r', logger: recording(), cooldownMs: -1 })).toThrow(
      /cooldownMs/,
    );
  });
});

/** A Redis of our own on a free port, which the tests stop and restart. */
let port = 0;
let child: ChildProcess | undefined;
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port: free } = server.address() as { port: number };
  server.close();
  return free;
}
async function startRedis(): Promise<void> {
  child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--enable-debug-command',
      'yes',
    ],
    {
      stdio: 'ignore',
    },
  );
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => 50 });
  probe.on('error', () => {});
  await vi.waitFor(() => probe.ping(), { timeout: 5000, interval: 50 });
  probe.disconnect();
}
async function stopRedis(): Promise<void> {
  const running = child;
  child = undefined;
  if (!running || running.exitCode !== null) return;
  running.kill('SIGTERM');
  await once(running, 'exit');
}

describe('Redis down, slow and back', () => {
  const open: UnifiedReRanker[] = [];
  beforeAll(async () => {
    port = await freePort();
    await startRedis();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.dispose()));
  });
  afterAll(stopRedis);

  it('a slow Redis times out, then the circuit fails fast', async () => {
    const cache = createRedisCache({
      url: `redis://127.0.0.1:${port}`,
      keyPrefix: 'slow:',
      timeoutMs: 100,
      failureThreshold: 1,
      cooldownMs: 60_000,
    });
    const blocker = new Redis(port, '127.0.0.1');
    try {
      await cache.set('k', [1]);
      await blocker.ping();
      // DEBUG SLEEP blocks the whole server, as an overloaded Redis would; the pause lets it start first.
      const sleeping = blocker.call('DEBUG', 'SLEEP', '1');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const slow = await cache.get('k').catch((error: unknown) => error);
      expect(isRerankerError(slow, 'TIMEOUT')).toBe(true);
      expect(cache.status()).toBe('degraded');
      await expect(cache.get('k')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
      await sleeping;
    } finally {
      await cache.dispose();
      blocker.disconnect();
    }
  });

  it('reranks never fail while Redis is stopped, and the server re-attaches when it is back', async () => {
    const log = recording();
    const reranker = await createReranker({
      model: await synthesizedModelDir('tiny'),
      env: { ENABLE_DISTRIBUTED: 'true', REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_TIMEOUT_MS: '100' },
      backends: [referenceBackend() as unknown as BackendCandidate],
      logger: log,
      progress: 'none',
    });
    open.push(reranker);
    const query = 'which metals are magnetic';
    await reranker.rerank(query, ['Iron is magnetic.']);
    expect(distributedStatus(reranker).redis).toBe('ok');

    await stopRedis();
    // Every request succeeds; after the threshold the circuit opens and Redis is not waited for.
    for (let i = 0; i < 8; i += 1) {
      const { results } = await reranker.rerankDetailed(query, [`passage ${i}`, 'Iron is magnetic.']);
      expect(results).toHaveLength(2);
    }
    expect(distributedStatus(reranker).redis).toBe('degraded');
    expect(redisLines(log).filter((l) => l.level === 'warn')).toHaveLength(1);

    await startRedis();
    // The breaker probes after its cool-down (5 s by default); requests keep succeeding meanwhile.
    await vi.waitFor(
      async () => {
        await reranker.rerank(query, [`after ${Date.now()}`]);
        expect(distributedStatus(reranker).redis).toBe('ok');
      },
      { timeout: 15_000, interval: 200 },
    );
    expect(redisLines(log).map((l) => l.level)).toEqual(['warn', 'info']);
    // Re-attached: new pairs reach the restarted Redis again.
    await reranker.rerank(query, ['Nickel is magnetic too.']);
    const check = new Redis(port, '127.0.0.1');
    try {
      expect((await check.keys('reranker:*')).length).toBeGreaterThan(0);
    } finally {
      check.disconnect();
    }
  }, 30_000);
});
