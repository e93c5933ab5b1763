import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BackendLoadOptions, type EncodedBatch, type Logger, RerankerError } from '@reranker/core';
import { loadReferenceModel, maxAbsDiff, referenceLogits, synthesizedModelDir } from '@reranker/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxNodeBackend } from '../src/onnx/backend';
import { planProviders } from '../src/onnx/providers';
import { resolveTopology } from '../src/onnx/topology';

/** A logger that keeps its warnings, to count them. */
function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const keep = (obj: object | string, msg?: string) => warnings.push(msg ?? String(obj));
  return { warnings, debug() {}, info() {}, warn: keep, error: keep };
}

async function loadOptions(
  dir: string,
  overrides: Partial<BackendLoadOptions> = {},
): Promise<BackendLoadOptions> {
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  const read = async (path: string) => new Uint8Array(await readFile(join(dir, path)));
  const model = { id: dir, source: `local:${dir}`, revision: 'local', localDir: dir, read };
  return { model, config, dtype: 'fp32', logger: recordingLogger(), ...overrides };
}

/** One BERT pair `[CLS] q [SEP] d [SEP]` per row, padded with 0; `id` overrides the body tokens. */
function bertBatch(
  lengths: number[],
  id = (i: number) => 200 + i,
): { batch: EncodedBatch; rows: number[][] } {
  const rows = lengths.map((n) => [101, ...Array.from({ length: n }, (_, i) => id(i)), 102]);
  const width = Math.max(...rows.map((r) => r.length));
  const batch = {
    rows: rows.length,
    width,
    inputIds: new BigInt64Array(rows.length * width),
    attentionMask: new BigInt64Array(rows.length * width),
    tokenTypeIds: new BigInt64Array(rows.length * width),
  };
  rows.forEach((row, r) => {
    row.forEach((token, t) => {
      batch.inputIds[r * width + t] = BigInt(token);
      batch.attentionMask[r * width + t] = 1n;
    });
  });
  return { batch, rows };
}

let tiny: string;
beforeAll(async () => {
  tiny = await synthesizedModelDir('tiny');
});

describe('topology and providers', () => {
  it('never uses more threads than cores by default, on any core count and device', () => {
    for (let cores = 1; cores <= 64; cores++) {
      for (const device of ['cpu', 'cuda']) {
        const { workers, threadsPerWorker } = resolveTopology({}, device, cores);
        expect(workers, `${cores} cores`).toBeGreaterThanOrEqual(1);
        expect(threadsPerWorker, `${cores} cores`).toBeGreaterThanOrEqual(1);
        expect(workers * threadsPerWorker, `${cores} cores`).toBeLessThanOrEqual(cores);
      }
    }
    // An explicit worker count gets the threads left for it, and the reverse.
    expect(resolveTopology({ workers: 2 }, 'cpu', 8)).toEqual({ workers: 2, threadsPerWorker: 4 });
    expect(resolveTopology({ threadsPerWorker: 1 }, 'cpu', 2)).toEqual({ workers: 2, threadsPerWorker: 1 });
  });

  it('maps each device to the execution providers of the platform', () => {
    const host = (platform: string, cuda = false) => ({ platform, arch: 'x64', cudaInstalled: () => cuda });
    expect(planProviders('cuda', host('linux')).executionProviders).toEqual(['cuda']);
    expect(planProviders('mps', host('darwin')).executionProviders).toEqual(['coreml']);
    expect(planProviders('coreml', host('darwin')).executionProviders).toEqual(['coreml']);
    expect(planProviders('coreml', host('linux'))).toMatchObject({ executionProviders: ['cpu'] });
    expect(planProviders('coreml', host('linux')).unavailable).toMatch(/macOS/);
    expect(planProviders('cuda', host('darwin')).unavailable).toMatch(/Linux/);
    expect(planProviders('auto', host('linux', true)).executionProviders).toEqual(['cuda']);
    expect(planProviders('auto', host('linux', false)).executionProviders).toEqual(['cpu']);
    expect(planProviders('auto', host('darwin', true)).executionProviders).toEqual(['cpu']);
  });

  it('rejects invalid options with INVALID_CONFIG', () => {
    expect(() => onnxNodeBackend({ workers: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG' }),
    );
    expect(() => onnxNodeBackend({ device: 'tpu' as never })).toThrow(/device must be one of/);
    expect(() => onnxNodeBackend({ allowSpinning: 'no' as never })).toThrow(
      /allowSpinning must be true or false/,
    );
  });
});

describe('onnxNodeBackend load', () => {
  it('loads with at most availableParallelism threads in total and no warning', async () => {
    const options = await loadOptions(tiny);
    const backend = await onnxNodeBackend().load(options);
    const facts = backend.describe!() as { workers: number; threadsPerWorker: number };
    expect(facts.workers * facts.threadsPerWorker).toBeLessThanOrEqual(availableParallelism());
    expect(backend.concurrency).toBe(facts.workers);
    expect((options.logger as ReturnType<typeof recordingLogger>).warnings).toEqual([]);
    await backend.dispose();
  });

  // cuda is attempted and fails here (no CUDA provider library); the other device is not on this platform.
  it.each(['cuda', process.platform === 'darwin' ? 'cuda' : 'coreml'] as const)(
    "device '%s' falls back to cpu with exactly one warning",
    async (device) => {
      const options = await loadOptions(tiny);
      const logger = options.logger as ReturnType<typeof recordingLogger>;
      const backend = await onnxNodeBackend({ device }).load(options);
      expect(logger.warnings).toHaveLength(1);
      expect(logger.warnings[0]).toContain(device);
      expect(backend.device).toBe('cpu');
      const facts = backend.describe!();
      expect(facts).toMatchObject({ requestedDevice: device, executionProviders: ['cpu'] });
      expect(facts.fallbackReason).toEqual(expect.stringMatching(/.+/));
      // It still runs the model correctly.
      const reference = await loadReferenceModel(tiny);
      const { batch, rows } = bertBatch([5]);
      const want = referenceLogits(reference, { inputIds: rows[0]! });
      expect(maxAbsDiff(await backend.run(batch), want)).toBeLessThan(1e-4);
      await backend.dispose();
    },
  );

  it('runs correctly with spinning turned off and says so in describe()', async () => {
    const backend = await onnxNodeBackend({ allowSpinning: false }).load(await loadOptions(tiny));
    expect(backend.describe!()).toMatchObject({ allowSpinning: false });
    const reference = await loadReferenceModel(tiny);
    const { batch, rows } = bertBatch([7, 3]);
    const logits = await backend.run(batch);
    const want = rows.flatMap((inputIds) => [...referenceLogits(reference, { inputIds })]);
    expect(maxAbsDiff(logits, Float32Array.from(want))).toBeLessThan(1e-4);
    await backend.dispose();
  });

  it('names the missing file and the dtypes present when the dtype has no file', async () => {
    const fp32Only = await mkdtemp(join(tmpdir(), 'onnx-fp32-only-'));
    await cp(tiny, fp32Only, { recursive: true });
    await rm(join(fp32Only, 'onnx', 'model_fp16.onnx'));
    const error = await onnxNodeBackend()
      .load(await loadOptions(fp32Only, { dtype: 'fp16' }))
      .catch((e: unknown) => e);
    await rm(fp32Only, { recursive: true, force: true });
    expect(error).toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    expect((error as Error).message).toContain(join(fp32Only, 'onnx/model_fp16.onnx'));
    expect((error as Error).message).toContain("'fp16'");
    expect((error as Error).message).toContain('fp32 (onnx/model.onnx)');
    expect((error as Error).message).toContain('q8 (onnx/model_quantized.onnx)');
  });

  it.each(['fp16', 'q8'] as const)('loads the %s file and scores close to the reference', async (dtype) => {
    const backend = await onnxNodeBackend().load(await loadOptions(tiny, { dtype }));
    try {
      expect(backend.describe?.()).toMatchObject({
        modelFile: expect.stringContaining(dtype === 'q8' ? 'model_quantized' : 'model_fp16'),
      });
      const reference = await loadReferenceModel(tiny);
      const ids = [101, 300, 301, 102, 400, 401, 402, 102];
      const types = [0, 0, 0, 0, 1, 1, 1, 1];
      const batch: EncodedBatch = {
        rows: 1,
        width: ids.length,
        inputIds: BigInt64Array.from(ids.map(BigInt)),
        attentionMask: BigInt64Array.from(ids.map(() => 1n)),
        tokenTypeIds: BigInt64Array.from(types.map(BigInt)),
      };
      const logits = await backend.run(batch);
      // Bounds from the testkit's dtype tests: fp16 weights round at ~1e-3, int8 at ~0.08.
      expect(
        maxAbsDiff(logits, referenceLogits(reference, { inputIds: ids, tokenTypeIds: types })),
      ).toBeLessThan(dtype === 'q8' ? 0.08 : 2e-3);
    } finally {
      await backend.dispose();
    }
  });

  it('needs a folder on disk', async () => {
    const options = await loadOptions(tiny);
    const { localDir: _, ...model } = options.model;
    await expect(onnxNodeBackend().load({ ...options, model })).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      message: expect.stringContaining('folder'),
    });
  });

  describe('with a damaged model folder', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'onnx-backend-'));
      await cp(tiny, dir, { recursive: true });
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('rejects a config whose label count the graph contradicts', async () => {
      const options = await loadOptions(dir);
      const config = { ...options.config, id2label: { 0: 'neg', 1: 'pos' } };
      await expect(onnxNodeBackend().load({ ...options, config })).rejects.toMatchObject({
        code: 'MODEL_LOAD_FAILED',
        message: expect.stringContaining('config.json has 2'),
      });
    });

    it('rejects an onnx file onnxruntime cannot read with MODEL_LOAD_FAILED', async () => {
      await writeFile(join(dir, 'onnx', 'model.onnx'), 'not an onnx model');
      await expect(onnxNodeBackend().load(await loadOptions(dir))).rejects.toMatchObject({
        code: 'MODEL_LOAD_FAILED',
      });
    });
  });
});

describe('onnxNodeBackend run', () => {
  it('answers queued batches in FIFO order on one worker', async () => {
    const backend = await onnxNodeBackend({ workers: 1 }).load(await loadOptions(tiny));
    const order: number[] = [];
    await Promise.all(
      [3, 9, 1, 6, 2].map((n, i) => backend.run(bertBatch([n]).batch).then(() => order.push(i))),
    );
    expect(order).toEqual([0, 1, 2, 3, 4]);
    await backend.dispose();
  });

  it('passes on a RerankerError given as the abort reason', async () => {
    const backend = await onnxNodeBackend().load(await loadOptions(tiny));
    const reason = new RerankerError('TIMEOUT', 'too slow');
    const controller = new AbortController();
    controller.abort(reason);
    await expect(backend.run(bertBatch([4]).batch, { signal: controller.signal })).rejects.toBe(reason);
    await backend.dispose();
  });

  it('rejects batches still pending at dispose with DISPOSED', async () => {
    const backend = await onnxNodeBackend({ workers: 1 }).load(await loadOptions(tiny));
    const runs = [4, 5, 6].map((n) => backend.run(bertBatch([n]).batch));
    const disposed = backend.dispose();
    for (const run of runs) await expect(run).rejects.toMatchObject({ code: 'DISPOSED' });
    await disposed;
  });

  it('turns a failed run into a retryable BACKEND_FAILED and keeps serving', async () => {
    const backend = await onnxNodeBackend({ workers: 1 }).load(await loadOptions(tiny));
    // Token ids past the vocabulary make onnxruntime's Gather throw inside the worker.
    const error = await backend.run(bertBatch([3], () => 10_000_000).batch).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RerankerError);
    expect(error).toMatchObject({ code: 'BACKEND_FAILED', retryable: true });
    const { batch, rows } = bertBatch([7]);
    const want = referenceLogits(await loadReferenceModel(tiny), { inputIds: rows[0]! });
    expect(maxAbsDiff(await backend.run(batch), want)).toBeLessThan(1e-4);
    expect(backend.describe!().workerRestarts).toBe(1);
    await backend.dispose();
  });

  it('rejects a batch whose arrays do not match rows × width with INVALID_INPUT', async () => {
    const backend = await onnxNodeBackend().load(await loadOptions(tiny));
    const { batch } = bertBatch([3, 4]);
    await expect(backend.run({ ...batch, width: batch.width + 1 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await backend.dispose();
  });
});
