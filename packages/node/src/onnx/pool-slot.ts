import type { Worker } from 'node:worker_threads';
import { errorMessage, RerankerError } from '@reranker/core';
import type { CloseRequest, WorkerInit, WorkerReply } from './worker';
import { SessionLoadError, startWorker, WorkerStartError } from './worker-start';

export type ReadyInfo = Extract<WorkerReply, { type: 'ready' }>;
/** A worker's answer to a batch. */
export type RunReply = Extract<WorkerReply, { type: 'result' | 'run-failed' }>;

/** One worker place of a pool, holding the batch (`job`) its worker runs. */
export interface Slot<Job> {
  worker?: Worker;
  exited?: Promise<void>;
  /** `busy` without a job: the batch was aborted and the worker is finishing it for nothing. */
  state: 'loading' | 'idle' | 'busy' | 'broken';
  job?: Job;
  error?: unknown;
}

/** What the pool does when a slot's worker speaks. */
export interface SlotEvents {
  /** Whether the pool is being disposed (a failing worker then only rejects its start with DISPOSED). */
  disposing(): boolean;
  /** The worker is ready and the slot idle. */
  ready(): void;
  /** The worker answered a batch. */
  answered(reply: RunReply): void;
  /** The worker died after it was ready. */
  crashed(error: Error): void;
}

/**
 * Starts a worker into `slot` and turns its events into the slot's state and `events`: ready (the
 * slot goes idle; the idle worker no longer keeps the process alive), answers, a death after ready.
 * A worker that fails before it is ready leaves the slot `broken` with its error, and the returned
 * promise rejects. Events of a worker the slot has since replaced are ignored.
 */
export function startSlot<Job>(
  slot: Slot<Job>,
  init: WorkerInit,
  entry: URL | undefined,
  events: SlotEvents,
): Promise<ReadyInfo> {
  const worker = startWorker(init, entry);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  Object.assign(slot, { worker, exited, state: 'loading', job: undefined, error: undefined });
  return new Promise<ReadyInfo>((resolve, reject) => {
    let ready = false;
    const fail = (error: Error) => {
      if (events.disposing()) return reject(disposedError());
      if (slot.worker !== worker) return; // a replaced worker: its events are stale
      if (ready) return events.crashed(error);
      Object.assign(slot, { worker: undefined, state: 'broken', error });
      reject(error);
    };
    worker.on('message', (reply: WorkerReply) => {
      if (slot.worker !== worker) return;
      if (reply.type === 'ready') {
        ready = true;
        slot.state = 'idle';
        worker.unref(); // an idle pool does not keep the process alive
        resolve(reply);
        events.ready();
      } else if (reply.type === 'load-failed') {
        fail(new SessionLoadError(reply.message)); // the worker ends itself
      } else {
        events.answered(reply);
      }
    });
    worker.on('error', (error) => fail(new WorkerStartError(errorMessage(error), { cause: error })));
    worker.on('exit', (code) => fail(new WorkerStartError(`the worker thread exited with code ${code}`)));
  });
}

/** Asks a worker to release its session and end, after any batch it is running. */
export function closeWorker(worker: Worker): void {
  // Referenced again so that a caller awaiting dispose() keeps the process alive until the thread
  // has exited (an unreferenced idle worker would let Node exit mid-await with code 13).
  worker.ref();
  worker.postMessage({ type: 'close' } satisfies CloseRequest);
}

export function disposedError(): RerankerError {
  return new RerankerError(
    'DISPOSED',
    'The onnxruntime-node backend was disposed: load a new one to run batches.',
  );
}
