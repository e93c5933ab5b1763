import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  type Backend,
  type BackendCandidate,
  type Dtype,
  errorMessage,
  type Logger,
  type ModelFiles,
  ONNX_FILE_BY_DTYPE,
  RerankerError,
  silentLogger,
  UnifiedReRanker,
} from '@reranker/core';
import { createReranker, onnxNodeBackend, pythonBackend } from '@reranker/node';
import { engineModelDir } from './engine-model';

/** The backends of the original table, by the names `--backends` takes. */
export const TABLE_BACKENDS = ['cpu', 'wasm', 'cuda', 'coreml', 'mlx'] as const;
export type TableBackend = (typeof TABLE_BACKENDS)[number];

/** What each backend runs on, for the report. */
export const BACKEND_SETUP: Record<TableBackend, string> = {
  cpu: 'onnxruntime-node CPU in worker threads (onnxNodeBackend, createReranker)',
  wasm: `onnxruntime-web's wasm backend in Node (webBackends({ device: 'wasm', numThreads: ${availableParallelism()} }), UnifiedReRanker)`,
  cuda: "onnxruntime-node CUDA execution provider (onnxNodeBackend({ device: 'cuda' }))",
  coreml: "onnxruntime-node CoreML execution provider (onnxNodeBackend({ device: 'coreml' }))",
  mlx: "MLX on Apple Silicon through the Python worker (pythonBackend({ engine: 'mlx' }))",
};

/** One loaded backend, shared by the rows of every batch size (loading a large model once). */
export interface OpenBackend {
  /** An engine for one batch size; dispose it after the row (the backend stays loaded). */
  engine(batchSize: number): Promise<UnifiedReRanker>;
  close(): Promise<void>;
}

/** Collects the warnings the engine logs while probing (they carry the reasons). */
function capturingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warnings, warn: (obj, msg) => warnings.push(msg ?? String(obj)) };
}

/**
 * Why `backend` cannot run on this host, or undefined when it can. Asks the engine itself, on the tiny
 * synthesized model (fast to load): the device a loaded onnxruntime-node backend fell back from, the
 * MLX detection of createReranker's default backends, whether `@reranker/core/web` loads.
 */
export async function unavailableReason(backend: TableBackend): Promise<string | undefined> {
  if (backend === 'cpu') return undefined;
  if (backend === 'wasm') {
    return import('@reranker/core/web').then(
      () => undefined,
      (error: unknown) => `@reranker/core/web could not be imported: ${errorMessage(error)}`,
    );
  }
  const tiny = await engineModelDir('tiny');
  const logger = capturingLogger();
  const base = { model: tiny, cacheEnabled: false, progress: 'none', logger } as const;
  const reranker =
    backend === 'mlx'
      ? // USE_MLX=true: the default backends try MLX when selection.ts finds it, and warn why not otherwise.
        await createReranker({
          ...base,
          env: { USE_MLX: 'true', RERANKER_PYTHON: process.env.RERANKER_PYTHON },
          device: 'cpu',
        })
      : await createReranker({ ...base, env: {}, backends: [onnxNodeBackend({ device: backend })] });
  try {
    const info = await reranker.info();
    if (backend === 'mlx') {
      if (info.backend.startsWith('python:mlx')) return undefined;
      // "MLX not available, falling back to onnxruntime-node (<reason>)"
      const warning = logger.warnings.find((w) => w.startsWith('MLX not available'));
      return warning?.match(/\((.*)\)$/)?.[1] ?? warning ?? `MLX was not selected (${info.backend} was)`;
    }
    const fallback = info.backendDetails.fallbackReason;
    if (fallback === undefined) return undefined;
    const noGpu = backend === 'cuda' && process.platform === 'linux' && !existsSync('/dev/nvidiactl');
    return `onnxruntime-node fell back to CPU: ${String(fallback)}${noGpu ? '; and no NVIDIA GPU here (/dev/nvidiactl absent)' : ''}`;
  } finally {
    await reranker.dispose();
  }
}

/** Loads the candidate once; every engine built on it gets the same backend, which `close` releases. */
function loadOnce(candidate: BackendCandidate): BackendCandidate & { close(): Promise<void> } {
  let loaded: Promise<Backend> | undefined;
  return {
    name: candidate.name,
    load: async (options) => {
      loaded ??= candidate.load(options);
      const backend = await loaded;
      return { ...backend, dispose: async () => {} };
    },
    close: async () => {
      const backend = await loaded?.catch(() => undefined);
      await backend?.dispose();
    },
  };
}

async function candidateFor(backend: TableBackend): Promise<BackendCandidate> {
  switch (backend) {
    case 'cpu':
    case 'cuda':
    case 'coreml':
      return onnxNodeBackend({ device: backend });
    case 'mlx':
      return pythonBackend({ engine: 'mlx' });
    case 'wasm': {
      const { webBackends } = await import('@reranker/core/web');
      return webBackends({ device: 'wasm', numThreads: availableParallelism() })[0]!;
    }
  }
}

/**
 * Opens `backend` on the model: `model` as createReranker takes it (folder or hub id) for the Node
 * backends, `files` (its resolved ModelFiles) for wasm. Engines have their pair cache off, batches
 * of exactly `batchSize` rows (the token budget never cuts them) and engine defaults otherwise.
 */
export async function openBackend(
  backend: TableBackend,
  model: { location: string; files: ModelFiles },
  dtype: Dtype,
): Promise<OpenBackend> {
  if (backend === 'wasm') refuseExternalData(model.files, dtype);
  const shared = loadOnce(await candidateFor(backend));
  const engineOptions = (batchSize: number) => ({
    cacheEnabled: false,
    batchSize,
    maxBatchTokens: batchSize * 512,
    dtype,
    logger: silentLogger,
  });
  const engine = async (batchSize: number) => {
    const reranker =
      backend === 'wasm'
        ? await UnifiedReRanker.create({
            ...engineOptions(batchSize),
            model: model.files,
            backends: [shared],
            cache: false,
          })
        : await createReranker({
            ...engineOptions(batchSize),
            model: model.location,
            env: {},
            backends: [shared],
            progress: 'none',
          });
    const info = await reranker.info();
    if (info.backendDetails.fallbackReason !== undefined) {
      await reranker.dispose();
      throw new RerankerError(
        'BACKEND_UNAVAILABLE',
        `${backend} fell back to ${info.device}: ${String(info.backendDetails.fallbackReason)}`,
      );
    }
    return reranker;
  };
  return { engine, close: () => shared.close() };
}

/**
 * The web backend reads one ONNX file and no external data (onnxruntime-web then fails with
 * "Module.MountedFiles is not available"): say so, and what runs instead, before loading anything.
 */
function refuseExternalData(files: ModelFiles, dtype: Dtype): void {
  const data = `${ONNX_FILE_BY_DTYPE[dtype]}_data`;
  const dir = files.localDir;
  if (files.localFiles?.[data] === undefined && !(dir !== undefined && existsSync(join(dir, data)))) return;
  throw new RerankerError(
    'BACKEND_UNAVAILABLE',
    `the ${dtype} graph keeps its weights in external data (${data}: past the ~2 GB one ONNX file holds), which the web backend does not load; measure wasm with --dtype q8 (one file)`,
  );
}
