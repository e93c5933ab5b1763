import { execFile } from 'node:child_process';
import type { BackendCandidate, Logger } from '@reranker/core';
import type { RerankerConfig } from '../config';
import { onnxNodeBackend } from '../onnx/backend';
import { pythonBackend } from './backend';

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
 * The backends createReranker tries: the MLX worker first when USE_MLX allows and MLX is there, then
 * onnxruntime-node. USE_MLX=true without MLX warns once; auto falls back quietly (debug log).
 */
export async function defaultBackends(
  config: RerankerConfig,
  logger: Logger,
  host?: Platform,
): Promise<BackendCandidate[]> {
  const onnx = onnxNodeBackend({
    device: config.device,
    workers: config.workers,
    threadsPerWorker: config.threadsPerWorker,
  });
  if (config.useMlx === false) return [onnx];
  const reason = await mlxUnavailableReason(config.python, host);
  if (reason === undefined) {
    // WORKER_TIMEOUT also bounds one worker batch: core does not pass its request signal to a shared batch.
    const mlx = pythonBackend({
      engine: 'mlx',
      python: config.python,
      requestTimeoutMs: Math.ceil(config.workerTimeoutMs),
    });
    return [mlx, onnx];
  }
  if (config.useMlx === true) logger.warn(`MLX not available, falling back to onnxruntime (${reason})`);
  else logger.debug({ reason }, 'USE_MLX=auto: MLX not available, using onnxruntime');
  return [onnx];
}
