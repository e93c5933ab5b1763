import { Worker } from 'node:worker_threads';
import type { WorkerInit } from './worker';

/**
 * Starts a worker thread running `entry`, by default this package's worker, from source or from the
 * build. From source (vitest, tsx) this module's URL ends in `.ts` and the worker boots through tsx's
 * `tsImport`: on Node 20 `execArgv: ['--import', 'tsx']` does not apply to a worker's entry module
 * ("Unknown file extension .ts"). tsup bundles this module into `dist/index.js` (or a chunk beside it)
 * and builds the worker as `dist/onnx/worker.js`.
 */
export function startWorker(init: WorkerInit, entry?: URL): Worker {
  const here = import.meta.url;
  const script = entry ?? new URL(here.endsWith('.ts') ? './worker.ts' : './onnx/worker.js', here);
  if (script.pathname.endsWith('.ts')) {
    const href = JSON.stringify(script.href);
    const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
    const code = `import(${tsx}).then((api) => api.tsImport(${href}, ${href}))`;
    return new Worker(code, { eval: true, workerData: init });
  }
  return new Worker(script, { workerData: init });
}

/** A worker that exits or fails to start before it is ready, as opposed to a model it cannot load. */
export class WorkerStartError extends Error {}
/** A worker that started but could not create its session. */
export class SessionLoadError extends Error {}
