import { execFile } from 'node:child_process';
import type { BackendCandidate, Logger } from '@reranker/core';
import type { RerankerConfig } from '../config';
import { onnxNodeBackend } from '../onnx/backend';
import { type PythonEngine, pythonBackend } from './backend';

export interface Platform {
  platform: string;
  arch: string;
}

/** Why MLX cannot run here, or undefined when it can (macOS arm64 and `import mlx.core` works). */
export async function mlxUnavailableReason(
  python: string,
  host: Platform = { platform: process.platform, arch: process.arch },
): Promise<string | undefined> {
  if (host.platform !== 'darwin' || host.arch !== 'arm64') {
    return `MLX needs macOS on Apple Silicon (arm64), this is ${host.platform} ${host.arch}`;
  }
  return new Promise((resolve) => {
    execFile(python, ['-c', 'import mlx.core'], { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve(undefined);
      const last = String(stderr).trim().split('\n').at(-1) || error.message;
      resolve(
        `${python} -c "import mlx.core" failed: ${last}; run pip install mlx numpy, or set RERANKER_PYTHON`,
      );
    });
  });
}

/**
 * The backends `createReranker` tries when given none, in order: the MLX worker first when USE_MLX
 * allows and MLX is there, then the engine `backend` names (`onnx`: onnxruntime-node; `numpy`: the
 * Python worker on CPU, with no further fallback, since it was asked for by name). USE_MLX=true without
 * MLX warns once, naming the fallback; auto falls back quietly (debug log). `reranker-server` builds its
 * backends with this too, to wrap them for its metrics.
 *
 * @param host the platform to decide for (tests); @default this process's platform and arch
 * @example
 * const config = loadConfig();
 * const backends = await defaultBackends(config, consoleLogger);
 * const reranker = await createReranker({ ...config, backends: backends.map(withMyMetrics) });
 */
export async function defaultBackends(
  config: Pick<
    RerankerConfig,
    'useMlx' | 'python' | 'backend' | 'device' | 'workers' | 'threadsPerWorker' | 'workerTimeoutMs'
  >,
  logger: Logger,
  host?: Platform,
): Promise<BackendCandidate[]> {
  // WORKER_TIMEOUT also bounds one Python worker batch: core does not pass its request signal to a shared batch.
  const python = (engine: PythonEngine) =>
    pythonBackend({ engine, python: config.python, requestTimeoutMs: Math.ceil(config.workerTimeoutMs) });
  const fallback =
    config.backend === 'numpy'
      ? python('numpy')
      : onnxNodeBackend({
          device: config.device,
          workers: config.workers,
          threadsPerWorker: config.threadsPerWorker,
        });
  if (config.useMlx === false) return [fallback];
  const reason = await mlxUnavailableReason(config.python, host);
  if (reason === undefined) return [python('mlx'), fallback];
  if (config.useMlx === true) logger.warn(`MLX not available, falling back to ${fallback.name} (${reason})`);
  else logger.debug({ reason }, `USE_MLX=auto: MLX not available, using ${fallback.name}`);
  return [fallback];
}
