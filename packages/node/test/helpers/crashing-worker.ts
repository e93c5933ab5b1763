/**
 * The package's ONNX worker with one failure injected, for onnx-worker.test.ts: a batch whose first
 * input id is -1 makes the thread die with an uncaught error before it runs, as a crashing worker
 * would. Shipping code carries no such hook; the test points a WorkerPool at this script instead.
 */
import { parentPort } from 'node:worker_threads';
import type { CloseRequest, RunRequest } from '../../src/onnx/worker';
import '../../src/onnx/worker';

export const POISON_TOKEN = -1n;

// Registered now, before the worker's own listener (added once its session has loaded), so this one
// sees every batch first and its throw stops the batch from reaching the session.
parentPort?.on('message', (request: RunRequest | CloseRequest) => {
  if (request.type === 'run' && request.inputs.input_ids?.[0] === POISON_TOKEN) {
    throw new Error('injected worker crash (test/helpers/crashing-worker.ts)');
  }
});
