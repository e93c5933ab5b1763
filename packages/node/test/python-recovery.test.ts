import type { Backend, BackendCandidate } from '@reranker/core';
import { silentLogger, UnifiedReRanker } from '@reranker/core';
import { maxAbsDiff, referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openLocalModel } from '../src/model/local';
import { pythonBackend } from '../src/python/backend';

const PYTHON = '/usr/bin/python3'; // Debian's python3-numpy (CI); the python3 on PATH may lack numpy
const QUERY = 'which metals are magnetic';
const DOCS = ['Iron and nickel are ferromagnetic.', 'Bananas are yellow.', 'Magnetite attracts iron.'];

const open: UnifiedReRanker[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.dispose()));
});

type Hook = (backend: Backend, call: number) => void;

/** The python:numpy candidate, with hooks around each run: before and after its request is written. */
function wrapped(beforeRun: Hook, afterWrite: Hook = () => {}, requestTimeoutMs?: number): BackendCandidate {
  const inner = pythonBackend({ engine: 'numpy', python: PYTHON, requestTimeoutMs });
  return {
    name: inner.name,
    async load(options) {
      const backend = await inner.load(options);
      let calls = 0;
      return {
        name: backend.name,
        device: backend.device,
        dispose: () => backend.dispose(),
        describe: () => backend.describe!(),
        run(batch, runOptions) {
          beforeRun(backend, ++calls);
          const running = backend.run(batch, runOptions);
          afterWrite(backend, calls);
          return running;
        },
      };
    },
  };
}

const pidOf = (backend: Backend) => backend.describe!().pid as number;

async function reranker(dir: string, backend: BackendCandidate, workerTimeoutMs = 60_000) {
  const engine = await UnifiedReRanker.create({
    model: await openLocalModel(dir, 'fp32'),
    backends: [backend],
    cache: false,
    workerTimeoutMs,
    retryBackoffMs: 10,
    logger: silentLogger,
  });
  open.push(engine);
  return engine;
}

const scoresByIndex = (results: { index: number; score: number }[]) =>
  [...results].sort((a, b) => a.index - b.index).map((r) => r.score);

describe('python:numpy worker recovery through UnifiedReRanker', () => {
  it('a worker killed with SIGKILL mid-request is restarted and the request succeeds with the right scores', async () => {
    const dir = await synthesizedModelDir('tiny');
    const killed: number[] = [];
    let loaded: Backend | undefined;
    const engine = await reranker(
      dir,
      wrapped(
        (backend, call) => {
          loaded = backend;
          // Frozen first, so that it cannot answer before the kill lands (2 busy cores can delay that).
          if (call === 1) process.kill(pidOf(backend), 'SIGSTOP');
        },
        (backend, call) => {
          if (call !== 1) return;
          // The request line is written: the worker dies holding it.
          killed.push(pidOf(backend));
          process.kill(pidOf(backend), 'SIGKILL');
        },
      ),
    );
    const results = await engine.rerank(QUERY, DOCS);
    expect(killed).toHaveLength(1);
    expect(maxAbsDiff(scoresByIndex(results), await referencePairScores(dir, QUERY, DOCS))).toBeLessThan(
      1e-4,
    );
    expect(loaded!.describe!().workerRestarts).toBe(1);
    expect(pidOf(loaded!)).not.toBe(killed[0]);
  });

  it('a hung worker makes the request fail with TIMEOUT, is restarted, and serves the next request', async () => {
    const dir = await synthesizedModelDir('tiny-xlmr');
    let stopped: number | undefined;
    let loaded: Backend | undefined;
    const engine = await reranker(
      dir,
      wrapped(
        (backend, call) => {
          loaded = backend;
          // SIGSTOP freezes the real worker: it neither answers nor exits, like a hang.
          if (call !== 1) return;
          stopped = pidOf(backend);
          process.kill(stopped, 'SIGSTOP');
        },
        undefined,
        // Core does not pass its request signal to a shared batch: the backend's own limit finds the hang.
        1500,
      ),
      1000,
    );
    await expect(engine.rerank(QUERY, DOCS)).rejects.toMatchObject({ code: 'TIMEOUT' });
    // The worker is replaced once requestTimeoutMs passes; the next request waits for the new one.
    await vi.waitFor(() => expect(pidOf(loaded!)).not.toBe(stopped), { timeout: 20_000, interval: 20 });
    const results = await engine.rerank(QUERY, DOCS);
    expect(maxAbsDiff(scoresByIndex(results), await referencePairScores(dir, QUERY, DOCS))).toBeLessThan(
      1e-4,
    );
    expect(loaded!.describe!().workerRestarts).toBe(1);
    expect(pidOf(loaded!)).not.toBe(stopped);
    expect(() => process.kill(stopped!, 0)).toThrow(); // the frozen worker was killed, not leaked
  });
});
