import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Backend,
  type EncodedBatch,
  ONNX_FILE_BY_DTYPE,
  RerankerError,
  silentLogger,
} from '@reranker/core';
import { synthesizedModelDir } from '@reranker/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxNodeBackend } from '../src/onnx/backend';
import { WorkerPool } from '../src/onnx/pool';
import { POISON_TOKEN } from './helpers/crashing-worker';

/** The real worker, except that a batch starting with POISON_TOKEN kills its thread. */
const CRASHING_WORKER = new URL('./helpers/crashing-worker.ts', import.meta.url);

// A batch that keeps a worker busy for well over 300 ms: minilm-l6 (MiniLM-L6 compute), 16 × 256 tokens.
const LONG = { rows: 16, width: 256 };

/** Full-width rows of ordinary BERT tokens; `salt` makes batches differ. */
function batchOf(rows: number, width: number, salt = 0): EncodedBatch {
  const size = rows * width;
  const inputIds = new BigInt64Array(size);
  for (let i = 0; i < size; i++) inputIds[i] = BigInt(1000 + ((i * 31 + salt * 7) % 20_000));
  for (let r = 0; r < rows; r++) {
    inputIds[r * width] = 101n;
    inputIds[r * width + width - 1] = 102n;
  }
  return {
    rows,
    width,
    inputIds,
    attentionMask: new BigInt64Array(size).fill(1n),
    tokenTypeIds: new BigInt64Array(size),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('onnxNodeBackend worker threads (minilm-l6)', () => {
  let dir: string;
  let backend: Backend;
  /** Logits of a small batch, computed before any worker was replaced. */
  let baseline: Float32Array;
  const small = () => batchOf(2, 32, 1);

  beforeAll(async () => {
    dir = await synthesizedModelDir('minilm-l6');
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    const read = async (path: string) => new Uint8Array(await readFile(join(dir, path)));
    const model = { id: dir, source: `local:${dir}`, revision: 'local', localDir: dir, read };
    backend = await onnxNodeBackend().load({ model, config, dtype: 'fp32', logger: silentLogger });
    baseline = await backend.run(small());
  });
  afterAll(() => backend?.dispose());

  it('keeps the main event loop responsive while a long batch runs', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const logits = await backend.run(batchOf(LONG.rows, LONG.width));
      expect(logits).toHaveLength(LONG.rows);
    } finally {
      clearInterval(timer);
    }
    // On the main thread onnxruntime would block the loop: the timer would tick about once.
    expect(ticks).toBeGreaterThanOrEqual(50);
  });

  it('rejects an aborted running batch at once and keeps the worker, which stays usable', async () => {
    const restarts = backend.describe!().workerRestarts;
    const controller = new AbortController();
    const running = backend.run(batchOf(LONG.rows, LONG.width, 2), { signal: controller.signal });
    await sleep(50); // dispatched at once to the idle worker: it is running now
    let outcome: unknown;
    running.catch((error: unknown) => {
      outcome = error;
    });
    controller.abort();
    await Promise.resolve();
    await Promise.resolve();
    // Settled within the abort's own task: the caller does not wait for the native run to end.
    expect(outcome).toMatchObject({ code: 'ABORTED' });
    // The worker finishes the batch for nothing, then serves the next one (no restart needed).
    expect(Array.from(await backend.run(small()))).toEqual(Array.from(baseline));
    expect(backend.describe!().workerRestarts).toBe(restarts);
  });

  it('fails the in-flight batch with BACKEND_FAILED when its worker dies, then recovers', async () => {
    const { threadsPerWorker } = backend.describe!() as { threadsPerWorker: number };
    const pool = new WorkerPool(
      1,
      {
        modelPath: join(dir, ONNX_FILE_BY_DTYPE.fp32),
        executionProviders: ['cpu'],
        fallbackToCpu: false,
        graphOptimizationLevel: 'all',
        intraOpNumThreads: threadsPerWorker,
        allowSpinning: true,
      },
      CRASHING_WORKER,
    );
    try {
      await pool.start();
      expect(Array.from(await pool.run(small()))).toEqual(Array.from(baseline));
      const poison = batchOf(4, 64, 3);
      poison.inputIds[0] = POISON_TOKEN;
      const error = await pool.run(poison).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RerankerError);
      expect(error).toMatchObject({ code: 'BACKEND_FAILED', retryable: true });
      expect((error as Error).message).toContain('worker thread died');
      expect(pool.restarts).toBe(1);
      // The replacement worker serves the next batch, with the same logits.
      expect(Array.from(await pool.run(small()))).toEqual(Array.from(baseline));
    } finally {
      await pool.dispose();
    }
  });

  // Last: it disposes the shared backend. terminate() during a native run would abort the process.
  it('disposes while a batch runs: the batch rejects with DISPOSED and the worker ends cleanly', async () => {
    const running = backend.run(batchOf(LONG.rows, LONG.width, 4));
    await sleep(50);
    const disposed = backend.dispose();
    await expect(running).rejects.toMatchObject({ code: 'DISPOSED' });
    await disposed;
    await expect(backend.run(small())).rejects.toMatchObject({ code: 'DISPOSED' });
  });
});
