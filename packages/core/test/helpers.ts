import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PresetName, referenceBackend, synthesizedModelDir } from '@reranker/testkit';
import { afterEach } from 'vitest';
import type { Backend, BackendCandidate, EncodedBatch, Logger, ModelFiles } from '../src/index';
import { RerankerError, UnifiedReRanker } from '../src/index';

/** A synthesized model's folder as core sees it (what @reranker/node's resolver returns for a local path). */
export function synthesizedFiles(preset: string, dir: string): ModelFiles {
  return {
    id: `testkit/${preset}`,
    source: `local:${dir}`,
    revision: 'local',
    localDir: dir,
    read: (p) => readFile(join(dir, p)),
  };
}

/** A synthesized cross-encoder folder as core sees it. */
export async function localModel(preset: PresetName): Promise<ModelFiles> {
  return synthesizedFiles(preset, await synthesizedModelDir(preset));
}

export interface RecordingLogger extends Logger {
  warnings: string[];
}

export function recordingLogger(): RecordingLogger {
  const warnings: string[] = [];
  const text = (obj: object | string, msg?: string) =>
    typeof obj === 'string' ? obj : (msg ?? JSON.stringify(obj));
  return {
    warnings,
    debug() {},
    info() {},
    warn: (o, m) => warnings.push(text(o, m)),
    error: (o, m) => warnings.push(text(o, m)),
  };
}

export interface Probe {
  /** Rows the backend really computed, over all runs. */
  rows: number;
  /** Padded tokens (rows × width) the backend really computed, over all runs. */
  tokens?: number;
  runs: number;
  /** Runs before this gate opens wait on it (to hold requests in flight). */
  gate: Promise<void> | undefined;
  /** Per run (0-based): a promise that run waits on before computing, if any. */
  hold?: (run: number) => Promise<void> | undefined;
  /** Called before each run with its 0-based number; throw to fail that run. */
  fail?: (run: number, batch: EncodedBatch) => void;
  /** Called with each batch as its run starts (to record what the engine built). */
  batch?: (batch: EncodedBatch) => void;
}

/**
 * The testkit's reference backend (real float64 logits, no onnxruntime) with a probe that counts the
 * work done and can hold or fail runs: the engine's behaviour is tested on real scores. `inner`: another
 * reference backend to probe (the decoder one for LLM rerankers).
 */
export function probedReference(
  probe: Probe,
  name = 'reference',
  inner = referenceBackend({ name }) as unknown as BackendCandidate,
): BackendCandidate {
  return {
    name,
    async load(options) {
      const backend = await inner.load(options);
      const wrapped: Backend = {
        name: backend.name,
        device: backend.device,
        concurrency: 2,
        async run(batch, runOptions) {
          probe.batch?.(batch);
          const run = probe.runs++;
          if (probe.gate) await probe.gate;
          await probe.hold?.(run);
          runOptions?.signal?.throwIfAborted();
          probe.fail?.(run, batch);
          const logits = await backend.run(batch, runOptions);
          probe.rows += batch.rows;
          probe.tokens = (probe.tokens ?? 0) + batch.rows * batch.width;
          return logits;
        },
        dispose: () => backend.dispose(),
      };
      return wrapped;
    },
  };
}

/** A list for the rerankers a test opens, disposed after each test. Call it at the top level of a test file. */
export function disposedAfterEach(): UnifiedReRanker[] {
  const open: UnifiedReRanker[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.dispose()));
  });
  return open;
}

/**
 * `create(preset, extra)`: a reranker on the synthesized preset, scored by the probed reference backend
 * with a recording logger, disposed after each test. Call it at the top level of a test file.
 */
export function probedRerankers() {
  const open = disposedAfterEach();
  return async (preset: PresetName, extra: Partial<Parameters<typeof UnifiedReRanker.create>[0]> = {}) => {
    const probe = newProbe();
    const reranker = await UnifiedReRanker.create({
      model: await localModel(preset),
      backends: [probedReference(probe)],
      logger: recordingLogger(),
      ...extra,
    });
    open.push(reranker);
    return { reranker, probe };
  };
}

export function newProbe(): Probe {
  return { rows: 0, runs: 0, gate: undefined };
}

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export const transient = () => new RerankerError('BACKEND_FAILED', 'simulated transient failure');

export function failingCandidate(name: string, message: string): BackendCandidate {
  return {
    name,
    async load() {
      throw new Error(message);
    },
  };
}

/** A backend whose runs wait until the test releases them; logit = first body token id, to trace rows. */
export function heldBackend(concurrency: number) {
  const batches: number[][] = [];
  const waiting: (() => void)[] = [];
  const backend: Backend = {
    name: 'held',
    device: 'cpu',
    concurrency,
    async run(batch: EncodedBatch) {
      const ids = Array.from({ length: batch.rows }, (_, r) => Number(batch.inputIds[r * batch.width + 1]));
      batches.push(ids);
      await new Promise<void>((resolve) => waiting.push(resolve));
      return Float32Array.from(ids);
    },
    async dispose() {},
  };
  const release = async (n = 1) => {
    for (let i = 0; i < n; i++) waiting.shift()?.();
    await new Promise((r) => setTimeout(r, 5));
  };
  return { backend, batches, waiting, release };
}
