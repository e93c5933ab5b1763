import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Backend,
  type BackendCandidate,
  type BackendLoadOptions,
  checkLogits,
  labelCount,
  type ModelFiles,
  RerankerError,
  throwIfAborted,
} from '@reranker/core';
import { PythonSupervisor, StartError } from './supervisor';

export type PythonEngine = 'numpy' | 'mlx';
export type PythonDtype = 'fp32' | 'fp16' | 'bf16';

export interface PythonBackendOptions {
  /** Array library of the worker: `mlx` (Apple Silicon GPU) or `numpy` (CPU, anywhere). @default 'mlx' */
  engine?: PythonEngine;
  /** Python interpreter; it needs numpy, and mlx for the mlx engine. @default process.env.RERANKER_PYTHON ?? 'python3' */
  python?: string;
  /** Precision of the MLX parameters (numpy runs fp32 only). @default 'fp16' for a model loaded as fp16, else 'fp32' */
  dtype?: PythonDtype;
  /** How long the worker may take to load the model and say ready. @default 60000 */
  startupTimeoutMs?: number;
  /** How long one batch may take before the worker counts as hung and is restarted. @default 120000 */
  requestTimeoutMs?: number;
  /** Batches written to the worker ahead of its answers; more wait in Node. @default 2 */
  maxInFlight?: number;
}

/**
 * Runs `python/reranker_worker.py` in a subprocess: the model from `model.safetensors` on MLX
 * (Apple Silicon) or NumPy. Token ids come from Node, so it scores exactly what other backends score.
 */
export function pythonBackend(options: PythonBackendOptions = {}): BackendCandidate {
  validate(options);
  const engine = options.engine ?? 'mlx';
  return { name: `python:${engine}`, load: (loadOptions) => load(options, engine, loadOptions) };
}

async function load(
  options: PythonBackendOptions,
  engine: PythonEngine,
  { model, config, kind, dtype, logger, signal }: BackendLoadOptions,
): Promise<Backend> {
  throwIfAborted(signal);
  const label = `python:${engine}`;
  if (kind && kind.name !== 'cross-encoder') {
    // Refused before spawning anything, so the fallback reasons say it and onnxruntime-node loads it.
    throw new RerankerError(
      'BACKEND_UNAVAILABLE',
      `The ${label} backend serves cross-encoders only; ${model.id} is an LLM reranker (${kind.name}). Use the onnxruntime-node backend (onnxNodeBackend, USE_MLX=false), which runs it with its prefix key/value cache.`,
    );
  }
  const dir = safetensorsDir(model);
  const python = options.python ?? process.env.RERANKER_PYTHON ?? 'python3';
  const engineDtype: PythonDtype =
    engine === 'numpy' ? 'fp32' : (options.dtype ?? (dtype === 'fp16' ? 'fp16' : 'fp32'));
  const supervisor = new PythonSupervisor({
    command: python,
    args: [workerScript(), '--model', dir, '--engine', engine, '--dtype', engineDtype],
    label,
    startupTimeoutMs: options.startupTimeoutMs ?? 60_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 120_000,
    maxInFlight: options.maxInFlight ?? 2,
    logger,
    backoffMs: 100,
    killGraceMs: 2000,
  });
  const numLabels = labelCount(config);
  try {
    const ready = await supervisor.start();
    if (ready.numLabels !== undefined && ready.numLabels !== numLabels) {
      throw new RerankerError(
        'MODEL_LOAD_FAILED',
        `The ${label} worker found ${ready.numLabels} labels in ${dir} where config.json has ${numLabels}.`,
      );
    }
    throwIfAborted(signal);
  } catch (error) {
    await supervisor.dispose();
    throw startError(error, label, python, dir);
  }
  const backend: Backend = {
    name: label,
    device: supervisor.ready!.device,
    concurrency: 1,
    async run(batch, runOptions) {
      const rows = await supervisor.run(batch, runOptions?.signal);
      // The row count first: a transposed answer (labels × rows) holds as many logits as a right one.
      if (rows.length !== batch.rows) {
        throw new RerankerError(
          'BACKEND_FAILED',
          `The ${label} worker returned ${rows.length} rows for a batch of ${batch.rows}.`,
        );
      }
      return checkLogits(Float32Array.from(rows.flat()), batch.rows, numLabels, `The ${label} worker`);
    },
    dispose: () => supervisor.dispose(),
    describe: () => ({
      python,
      engine,
      dtype: engineDtype,
      pid: supervisor.ready?.pid,
      modelDir: dir,
      workerRestarts: supervisor.restarts,
    }),
  };
  return backend;
}

/** The worker script: beside `src/` when running from source, beside `dist/` in the package. */
function workerScript(): string {
  const here = import.meta.url;
  const relative = here.endsWith('.ts') ? '../../python/reranker_worker.py' : '../python/reranker_worker.py';
  return fileURLToPath(new URL(relative, here));
}

function safetensorsDir(model: ModelFiles): string {
  const dir = model.localDir;
  if (dir && existsSync(join(dir, 'model.safetensors'))) return dir;
  throw new RerankerError(
    'MODEL_LOAD_FAILED',
    dir
      ? `The Python backend reads model.safetensors, which ${dir} does not have (${model.id}). Many Xenova/* hub repos ship only ONNX files: use the original repo instead, e.g. cross-encoder/ms-marco-MiniLM-L-6-v2 for Xenova/ms-marco-MiniLM-L-6-v2, or BAAI/bge-reranker-base.`
      : `The Python backend reads model.safetensors from a folder on disk, but ${model.id} (${model.source}) has no localDir: download it to a folder first.`,
    { details: { model: model.id, dir } },
  );
}

function startError(error: unknown, label: string, python: string, dir: string): unknown {
  if (!(error instanceof StartError)) return error;
  if (error.loadFailed) {
    return new RerankerError(
      'MODEL_LOAD_FAILED',
      `The ${label} worker could not load ${dir}: ${error.message}.`,
      {
        cause: error,
      },
    );
  }
  return new RerankerError(
    'BACKEND_UNAVAILABLE',
    `${error.message}. Check that ${python} runs and has numpy (and mlx for the mlx engine) installed, or set RERANKER_PYTHON to an interpreter that does.`,
    { cause: error },
  );
}

function validate(options: PythonBackendOptions): void {
  const fail = (message: string) => {
    throw new RerankerError('INVALID_CONFIG', `pythonBackend: ${message}`);
  };
  if (options.engine !== undefined && !['numpy', 'mlx'].includes(options.engine)) {
    fail(`engine must be numpy or mlx, got ${String(options.engine)}.`);
  }
  if (options.dtype !== undefined && !['fp32', 'fp16', 'bf16'].includes(options.dtype)) {
    fail(`dtype must be fp32, fp16 or bf16, got ${String(options.dtype)}.`);
  }
  for (const key of ['startupTimeoutMs', 'requestTimeoutMs', 'maxInFlight'] as const) {
    const value = options[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      fail(`${key} must be a positive integer, got ${String(value)}.`);
    }
  }
}
