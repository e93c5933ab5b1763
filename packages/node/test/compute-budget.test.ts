import type { BackendCandidate } from '@reranker/core';
import { maxAbsDiff, referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { describe, expect, it } from 'vitest';
import { createComputeBudget, createReranker, onnxNodeBackend } from '../src/index';
import { budgetShape, resolveTopology } from '../src/onnx/topology';
import { warningLogger } from './helpers/line-logger';
import { disposedAfterEach } from './helpers/workspace';

// Real onnxruntime-node sessions of two models synthesized by the testkit (random weights): a BERT and
// an XLM-R. Concurrency and fairness are observed by counting batches, never by timing.

const open = disposedAfterEach();

const flush = () => new Promise((r) => setTimeout(r, 0));

/** One log of batch starts and of batches running over every instrumented backend. */
function batchLog() {
  const starts: string[] = [];
  let running = 0;
  let maxRunning = 0;
  let gate: Promise<void> | undefined;
  let openGate = () => {};
  const instrument = (model: string, inner: BackendCandidate): BackendCandidate => ({
    name: inner.name,
    async load(options) {
      const backend = await inner.load(options);
      return {
        name: backend.name,
        device: backend.device,
        concurrency: backend.concurrency,
        describe: backend.describe?.bind(backend),
        dispose: () => backend.dispose(),
        async run(batch, runOptions) {
          running++;
          maxRunning = Math.max(maxRunning, running);
          starts.push(model);
          try {
            if (model === 'a' && gate) await gate; // holds A's batches (and their lanes) in flight
            return await backend.run(batch, runOptions);
          } finally {
            running--;
          }
        },
      };
    },
  });
  const hold = () => {
    gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
  };
  const release = () => {
    gate = undefined;
    openGate();
  };
  return { starts, instrument, hold, release, maxRunning: () => maxRunning };
}

const QUERY = 'which metals are magnetic';
const DOCS = Array.from(
  { length: 24 },
  (_, i) => `Passage ${i}: ${'iron nickel cobalt '.repeat(1 + (i % 4))}`,
);

describe('two rerankers sharing one compute budget (onnxruntime-node)', () => {
  it('score like the reference, run at most `lanes` batches at once, and a burst on A delays B by no batch', async () => {
    const [dirA, dirB] = await Promise.all([synthesizedModelDir('tiny'), synthesizedModelDir('tiny-xlmr')]);
    const budget = createComputeBudget({ lanes: 2, threadsPerLane: 1 });
    const log = batchLog();
    const make = async (model: string, dir: string) => {
      const reranker = await createReranker({
        env: {},
        logger: warningLogger(),
        progress: 'none',
        model: dir,
        cacheEnabled: false,
        batchSize: 1, // one batch per document: the burst on A is 24 batches
        computeBudget: budget,
        backends: [log.instrument(model, onnxNodeBackend({ device: 'cpu' }))],
      });
      open.push(reranker);
      return reranker;
    };
    const a = await make('a', dirA);
    const b = await make('b', dirB);
    // Each model's backend was sized from the budget: one single-threaded worker per lane, no spinning.
    for (const r of [a, b]) {
      expect((await r.info()).backendDetails).toMatchObject({
        workers: 2,
        threadsPerWorker: 1,
        allowSpinning: false,
      });
    }

    log.hold();
    const burst = a.rerank(QUERY, DOCS);
    let single: ReturnType<typeof b.rerank<string>> | undefined;
    let before = 0;
    try {
      while (log.starts.length < 2) await flush(); // A holds both lanes
      single = b.rerank(QUERY, [DOCS[3]!]);
      // B's batch waits for a lane (or, were the budget ignored, starts beside A's two).
      while (budget.stats().users[1]!.waiting < 1 && !log.starts.includes('b')) await flush();
      expect(log.starts).toEqual(['a', 'a']);
      expect(budget.stats()).toMatchObject({ inUse: 2, waiting: 1 });
      before = log.starts.length;
    } finally {
      log.release(); // also on failure, so the held batches finish and the rerankers dispose
    }
    const [burstResults, singleResults] = await Promise.all([burst, single]);

    // B's batch took the first lane A freed: no batch of A's started in between.
    const afterB = log.starts.slice(before);
    expect(afterB.indexOf('b')).toBe(0);
    expect(log.starts.filter((m) => m === 'a')).toHaveLength(DOCS.length);
    expect(log.maxRunning()).toBe(2);
    expect(budget.stats()).toMatchObject({ inUse: 0, waiting: 0 });

    const wantA = await referencePairScores(dirA, QUERY, DOCS);
    const gotA = [...burstResults].sort((x, y) => x.index - y.index).map((r) => r.score);
    expect(maxAbsDiff(gotA, wantA)).toBeLessThan(1e-4);
    const wantB = await referencePairScores(dirB, QUERY, [DOCS[3]!]);
    expect(maxAbsDiff([singleResults![0]!.score], wantB)).toBeLessThan(1e-4);
  });

  it('warns when explicit threads per worker exceed what the budget counts per lane', async () => {
    const warnings: string[] = [];
    const reranker = await createReranker({
      env: {},
      logger: warningLogger(warnings),
      progress: 'none',
      model: await synthesizedModelDir('tiny'),
      computeBudget: createComputeBudget({ lanes: 2, threadsPerLane: 1 }),
      backends: [onnxNodeBackend({ device: 'cpu', workers: 1, threadsPerWorker: 2 })],
    });
    open.push(reranker);
    expect(warnings).toEqual([expect.stringContaining("exceed the compute budget's 1 per lane")]);
  });
});

describe('budget shapes', () => {
  it('createComputeBudget never counts more threads than cores, and gives several models two lanes', () => {
    for (let cores = 1; cores <= 64; cores++) {
      const { lanes, threadsPerLane } = createComputeBudget({ cores });
      expect(lanes * threadsPerLane, `${cores} cores`).toBeLessThanOrEqual(cores);
      expect(lanes, `${cores} cores`).toBeGreaterThanOrEqual(Math.min(2, cores));
      expect(threadsPerLane, `${cores} cores`).toBeLessThanOrEqual(4);
    }
    expect(budgetShape({}, 2)).toEqual({ lanes: 2, threadsPerLane: 1 });
    expect(budgetShape({}, 8)).toEqual({ lanes: 2, threadsPerLane: 4 });
    expect(budgetShape({ lanes: 1 }, 2)).toEqual({ lanes: 1, threadsPerLane: 2 });
    expect(budgetShape({ threadsPerLane: 2 }, 8)).toEqual({ lanes: 4, threadsPerLane: 2 });
    expect(() => createComputeBudget({ lanes: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG' }),
    );
  });

  it('a backend under a budget gets one worker per lane of threadsPerLane threads; explicit options win', () => {
    const budget = { lanes: 3, threadsPerLane: 2 };
    expect(resolveTopology({}, 'cpu', 2, budget)).toEqual({ workers: 3, threadsPerWorker: 2 });
    expect(resolveTopology({}, 'cuda', 2, budget)).toEqual({ workers: 1, threadsPerWorker: 2 });
    expect(resolveTopology({ workers: 1 }, 'cpu', 2, budget)).toEqual({ workers: 1, threadsPerWorker: 2 });
    expect(resolveTopology({ threadsPerWorker: 1 }, 'cpu', 2, budget)).toEqual({
      workers: 3,
      threadsPerWorker: 1,
    });
  });
});
