import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  type Backend,
  type BackendCandidate,
  type BackendLoadOptions,
  checkClassifierGraph,
  checkEncodedBatch,
  checkLogits,
  checkPrefixCacheOptions,
  type DecoderLayout,
  DTYPES,
  type Dtype,
  decoderGraphLayout,
  labelCount,
  type ModelFiles,
  ONNX_FILE_BY_DTYPE,
  type PrefixCacheOptions,
  RerankerError,
  throwIfAborted,
} from '@reranker/core';
import { DEVICE_PREFERENCES, type DevicePreference } from '../config/types';
import { type ReadyInfo, SessionLoadError, WorkerPool } from './pool';
import { deviceOf, planProviders } from './providers';
import { resolveTopology } from './topology';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

const LEVELS: readonly GraphOptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];

export interface OnnxNodeBackendOptions {
  /**
   * Where to run. `auto` picks CUDA on Linux x64 when onnxruntime-node has its CUDA provider installed,
   * never CoreML, else CPU. A device that fails to load falls back to CPU with one warning.
   * @default 'auto'
   */
  device?: DevicePreference;
  /**
   * Worker threads, each with its own session (`backend.concurrency`).
   * @default with a compute budget (the reranker's `computeBudget`), one per lane on CPU; else
   * computed with threadsPerWorker so that workers × threadsPerWorker ≤ os.availableParallelism()
   */
  workers?: number;
  /**
   * `intraOpNumThreads` of each session.
   * @default with a compute budget, its `threadsPerLane`; else max(1, floor(os.availableParallelism()
   * / workers)): 1 when workers fill the cores
   */
  threadsPerWorker?: number;
  /** onnxruntime graph optimizations applied when the session is created. @default 'all' */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /**
   * Whether a session's intra-op threads spin after a run, waiting for the next (onnxruntime's
   * `session.intra_op.allow_spinning`). Spinning shaves latency off back-to-back runs but takes cores
   * from anything else: turn it off when sessions or processes share the cores (BENCHMARKS.md,
   * "onnxruntime's spinning threads").
   * @default false with a compute budget (another model's sessions need the cores a finished run's
   * threads would spin on); else true (onnxruntime's default)
   */
  allowSpinning?: boolean;
  /**
   * LLM rerankers on the prefix graph: bounds of each worker's LRU of shared prefixes' key/values
   * (a prefix is system line + instruction + query; see `PrefixCacheOptions`). Batches of one prefix
   * go to a worker that recently ran it when one is idle.
   * @default { maxEntries: 32, maxBytes: 64 MiB } per worker
   */
  prefixCache?: PrefixCacheOptions;
}

/**
 * onnxruntime-node in worker threads: the event loop stays free while a batch runs. Aborting a
 * running batch rejects it at once, but its worker still finishes it before taking the next one
 * (onnxruntime cannot interrupt a run). Dispose the backend before the process exits: Node stopping a
 * worker in the middle of a native run aborts the process.
 */
export function onnxNodeBackend(options: OnnxNodeBackendOptions = {}): BackendCandidate {
  validateOptions(options);
  const device = options.device ?? 'auto';
  return {
    name: device === 'auto' ? 'onnxruntime-node' : `onnxruntime-node:${device}`,
    load: (loadOptions) => loadBackend(options, device, loadOptions),
  };
}

async function loadBackend(
  options: OnnxNodeBackendOptions,
  requestedDevice: DevicePreference,
  { model, config, kind, dtype, logger, signal, computeBudget }: BackendLoadOptions,
): Promise<Backend> {
  throwIfAborted(signal);
  const modelFile = modelFileOf(model, dtype);
  const plan = planProviders(requestedDevice);
  const cores = availableParallelism();
  const topology = resolveTopology(options, plan.device, cores, computeBudget);
  warnOversubscribed(topology, cores, computeBudget, logger);
  const allowSpinning = options.allowSpinning ?? computeBudget === undefined;
  const graphOptimizationLevel = options.graphOptimizationLevel ?? 'all';
  const pool = new WorkerPool(topology.workers, {
    modelPath: modelFile,
    executionProviders: plan.executionProviders,
    fallbackToCpu: true,
    graphOptimizationLevel,
    intraOpNumThreads: topology.threadsPerWorker,
    allowSpinning,
    // Decoder kinds run through core's DecoderRunner in the worker (either decoder layout).
    ...(kind?.graph.inputs === 'prefix-cache' && {
      decoder: { kind, config, prefixCache: options.prefixCache },
    }),
  });
  const numLabels = kind?.numLabels ?? labelCount(config);
  let ready: ReadyInfo;
  let layout: DecoderLayout | undefined;
  try {
    ready = await pool.start();
    if (kind?.graph.inputs === 'prefix-cache') layout = decoderGraphLayout(ready, kind, config, modelFile);
    else checkClassifierGraph({ ...ready, logitsLabels: ready.logitsShape?.at(-1) }, numLabels, modelFile);
    throwIfAborted(signal);
  } catch (error) {
    await pool.dispose();
    throw loadError(error, modelFile);
  }

  const fallbackReason = plan.unavailable ?? ready.fallbackReason;
  if (fallbackReason !== undefined) {
    logger.warn(
      { requestedDevice, fallbackReason },
      `onnxruntime-node could not use device '${requestedDevice}' (${fallbackReason}); running on cpu. Install that execution provider, or set device: 'cpu' to run on CPU without this warning.`,
    );
  }
  const facts = {
    requestedDevice,
    fallbackReason,
    executionProviders: ready.executionProviders,
    workers: topology.workers,
    threadsPerWorker: topology.threadsPerWorker,
    modelFile,
    graphOptimizationLevel,
    allowSpinning,
    ...(layout && { decoderLayout: layout.type }),
    ...(computeBudget && {
      computeBudget: { lanes: computeBudget.lanes, threadsPerLane: computeBudget.threadsPerLane },
    }),
  };
  return {
    name: 'onnxruntime-node',
    device: deviceOf(ready.executionProviders),
    concurrency: topology.workers,
    async run(batch, runOptions) {
      checkEncodedBatch(batch);
      const logits = await pool.run(batch, runOptions?.signal);
      return checkLogits(logits, batch.rows, numLabels, `onnxruntime-node (${modelFile})`);
    },
    dispose: () => pool.dispose(),
    describe: () => {
      const prefixCache = pool.prefixStats();
      return { ...facts, workerRestarts: pool.restarts, ...(prefixCache && { prefixCache }) };
    },
  };
}

/**
 * Without a budget, one backend's threads beyond the cores; with one, a session taking more threads
 * than the budget counts per lane (the budget's lanes would then run more threads than the cores).
 */
function warnOversubscribed(
  topology: { workers: number; threadsPerWorker: number },
  cores: number,
  budget: BackendLoadOptions['computeBudget'],
  logger: BackendLoadOptions['logger'],
): void {
  if (budget && topology.threadsPerWorker > budget.threadsPerLane) {
    logger.warn(
      { ...topology, threadsPerLane: budget.threadsPerLane },
      `onnxruntime-node: ${topology.threadsPerWorker} threads per worker exceed the compute budget's ${budget.threadsPerLane} per lane; its ${budget.lanes} lanes will run more threads than it counts`,
    );
  } else if (!budget && topology.workers * topology.threadsPerWorker > cores) {
    logger.warn(
      { ...topology, cores },
      `onnxruntime-node: ${topology.workers} workers × ${topology.threadsPerWorker} threads exceed the ${cores} cores; over-subscribed threads run slower`,
    );
  }
}

function modelFileOf(model: ModelFiles, dtype: Dtype): string {
  if (!model.localDir) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `The onnxruntime-node backend reads models from a folder on disk, but ${model.id} (${model.source}) has no localDir: download it to a folder first, or use a backend that reads files over HTTP.`,
    );
  }
  const dir = model.localDir;
  // A graph built at load sits in the model cache (`localFiles`), its external data beside it.
  const pathOf = (file: string) => model.localFiles?.[file] ?? join(dir, file);
  const relative = ONNX_FILE_BY_DTYPE[dtype];
  const path = pathOf(relative);
  if (existsSync(path)) return path;
  const present = DTYPES.filter((d) => existsSync(pathOf(ONNX_FILE_BY_DTYPE[d])));
  const found = present.map((d) => `${d} (${ONNX_FILE_BY_DTYPE[d]})`).join(', ') || 'none';
  throw new RerankerError(
    'MODEL_LOAD_FAILED',
    `No ONNX file for dtype '${dtype}': ${path} does not exist. Dtypes with a file in ${dir}: ${found}. Pick one of those dtypes or add ${relative}.`,
    { details: { path, dtype, availableDtypes: present } },
  );
}

function loadError(error: unknown, modelFile: string): unknown {
  if (error instanceof RerankerError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof SessionLoadError) {
    return new RerankerError(
      'MODEL_LOAD_FAILED',
      `onnxruntime could not load ${modelFile}: ${message}. Check that the file is a complete ONNX export.`,
      { cause: error },
    );
  }
  return new RerankerError(
    'BACKEND_UNAVAILABLE',
    `The onnxruntime-node worker thread failed to start: ${message}.`,
    { cause: error },
  );
}

function validateOptions(options: OnnxNodeBackendOptions): void {
  const fail = (message: string) => {
    throw new RerankerError('INVALID_CONFIG', `onnxNodeBackend: ${message}`);
  };
  if (options.device !== undefined && !(DEVICE_PREFERENCES as readonly string[]).includes(options.device)) {
    fail(`device must be one of ${DEVICE_PREFERENCES.join(', ')}, got ${String(options.device)}.`);
  }
  for (const key of ['workers', 'threadsPerWorker'] as const) {
    const value = options[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      fail(`${key} must be a positive integer, got ${String(value)}.`);
    }
  }
  checkPrefixCacheOptions(options.prefixCache, 'onnxNodeBackend');
  if (options.allowSpinning !== undefined && typeof options.allowSpinning !== 'boolean') {
    fail(`allowSpinning must be true or false, got ${String(options.allowSpinning)}.`);
  }
  const level = options.graphOptimizationLevel;
  if (level !== undefined && !LEVELS.includes(level)) {
    fail(`graphOptimizationLevel must be one of ${LEVELS.join(', ')}, got ${String(level)}.`);
  }
}
