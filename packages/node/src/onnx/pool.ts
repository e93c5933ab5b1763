import { abortError, type EncodedBatch, errorMessage, RerankerError, sessionInputs } from '@reranker/core';
import { type PoolPrefixStats, PrefixRouting } from './pool-prefix';
import {
  closeWorker,
  disposedError,
  type ReadyInfo,
  type RunReply,
  startSlot,
  type Slot as WorkerSlot,
} from './pool-slot';
import type { DecoderRunRequest, RunRequest, WorkerInit } from './worker';

export type { ReadyInfo } from './pool-slot';
export { SessionLoadError, startWorker, WorkerStartError } from './worker-start';

interface Job {
  id: number;
  request: RunRequest | DecoderRunRequest;
  /** A decoder batch's prefix key: routed to a worker that recently ran it. */
  prefixKey?: string;
  signal?: AbortSignal;
  onAbort?: () => void;
  resolve(logits: Float32Array): void;
  reject(error: unknown): void;
}

type Slot = WorkerSlot<Job>;

/**
 * Worker threads with one session each, fed FIFO: a batch goes to an idle worker or waits its turn.
 *
 * A synchronous onnxruntime run cannot be interrupted, and `worker.terminate()` during one aborts the
 * process, so an aborted running batch is rejected at once while its worker finishes it and discards
 * the result (replacing the worker would only add a second session competing for the same cores).
 * A worker that crashes, or whose run throws, is replaced by a fresh one.
 */
export class WorkerPool {
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private nextId = 0;
  /** The model's inputs, as the first worker found them. */
  private inputNames: readonly string[] = [];
  private disposing: Promise<void> | undefined;
  /** Workers replaced after a crash or a failed run. */
  restarts = 0;
  private readonly routing: PrefixRouting;

  /** `entry`: the worker script to run instead of this package's (`startWorker`). */
  constructor(
    size: number,
    private init: WorkerInit,
    private readonly entry?: URL,
  ) {
    this.slots = Array.from({ length: size }, () => ({ state: 'loading' as const }));
    const cache = init.decoder?.prefixCache;
    this.routing = new PrefixRouting(size, cache?.maxEntries, cache?.maxBytes);
  }

  /** Decoder pools: the workers' prefix LRU counters, summed. */
  prefixStats(): PoolPrefixStats | undefined {
    return this.init.decoder ? this.routing.stats() : undefined;
  }

  /**
   * Starts the first worker (which settles the providers, falling back to CPU if needed), then the
   * others with the providers it got, so a fallback is decided and reported once.
   */
  async start(): Promise<ReadyInfo> {
    const [first, ...rest] = this.slots;
    const ready = await this.spawn(first!, this.init);
    this.inputNames = ready.inputNames;
    this.init = { ...this.init, executionProviders: ready.executionProviders, fallbackToCpu: false };
    await Promise.all(rest.map((slot) => this.spawn(slot, this.init)));
    return ready;
  }

  /**
   * Runs one batch. The typed arrays are copied to the worker (structured clone), not transferred:
   * the caller keeps a usable batch, e.g. to retry it after a BACKEND_FAILED. The copy is a few hundred
   * KB at most, noise next to the inference itself.
   */
  run(batch: EncodedBatch, signal?: AbortSignal): Promise<Float32Array> {
    if (this.disposing) return Promise.reject(disposedError());
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<Float32Array>((resolve, reject) => {
      const id = ++this.nextId;
      const job: Job = this.init.decoder
        ? { id, request: { type: 'run-decoder', id, batch }, prefixKey: batch.prefix?.key, resolve, reject }
        : {
            id,
            // A throw here rejects.
            request: {
              type: 'run',
              id,
              dims: [batch.rows, batch.width],
              inputs: sessionInputs(batch, this.inputNames),
            },
            resolve,
            reject,
          };
      if (signal) {
        job.signal = signal;
        job.onAbort = () => this.abort(job);
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      // Workers that failed to come back are retried when there is work for them.
      for (const slot of this.slots) if (slot.state === 'broken') this.respawn(slot);
      this.pump();
    });
  }

  /**
   * Rejects pending batches with DISPOSED and closes every worker. Resolves once the threads have
   * ended, which waits for a batch still running natively. Idempotent.
   */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      for (const job of this.queue.splice(0)) this.settle(job, disposedError());
      const exits: Promise<void>[] = [];
      for (const slot of this.slots) {
        if (slot.job) this.settle(slot.job, disposedError());
        if (slot.worker) closeWorker(slot.worker);
        if (slot.exited) exits.push(slot.exited);
        Object.assign(slot, { worker: undefined, job: undefined, state: 'broken' });
      }
      await Promise.all(exits);
    })();
    return this.disposing;
  }

  private spawn(slot: Slot, init: WorkerInit): Promise<ReadyInfo> {
    return startSlot(slot, init, this.entry, {
      disposing: () => this.disposing !== undefined,
      ready: () => this.pump(),
      answered: (reply) => this.finish(slot, reply),
      crashed: (error) => this.crash(slot, error),
    });
  }

  private pump(): void {
    // FIFO over jobs; among idle workers, one that recently ran the job's prefix (see PrefixRouting).
    for (;;) {
      const idle = this.slots.flatMap((slot, i) => (slot.state === 'idle' ? [i] : []));
      if (idle.length === 0 || this.queue.length === 0) break;
      const job = this.queue.shift()!;
      const index = this.routing.pick(idle, job.prefixKey)!;
      const slot = this.slots[index]!;
      Object.assign(slot, { state: 'busy', job });
      this.routing.dispatched(index, job.prefixKey);
      slot.worker!.ref(); // a batch in flight does
      slot.worker!.postMessage(job.request);
    }
    if (this.queue.length > 0 && this.slots.every((slot) => slot.state === 'broken')) {
      const reason = errorMessage(this.slots[0]!.error);
      const error = new RerankerError(
        'BACKEND_FAILED',
        `No onnxruntime worker is running: restarting them failed (${reason}). Check the model file and memory.`,
        { cause: this.slots[0]!.error },
      );
      for (const job of this.queue.splice(0)) this.settle(job, error);
    }
  }

  /** A worker's answer to its batch (whose job is gone if the batch was aborted meanwhile). */
  private finish(slot: Slot, reply: RunReply): void {
    const job = slot.job?.id === reply.id ? slot.job : undefined;
    Object.assign(slot, { job: undefined, state: 'idle' });
    slot.worker!.unref();
    if (reply.type === 'result') {
      if (reply.prefixCache) this.routing.report(this.slots.indexOf(slot), reply.prefixCache);
      if (job) this.settle(job, undefined, reply.logits);
      this.pump();
      return;
    }
    if (job) this.settle(job, backendFailed(`onnxruntime failed to run the batch: ${reply.message}`));
    // A session that threw may hold broken state (an allocation failure, say): start a fresh one.
    closeWorker(slot.worker!);
    this.respawn(slot);
  }

  private crash(slot: Slot, error: Error): void {
    const job = slot.job;
    slot.job = undefined;
    if (job) this.settle(job, backendFailed(`the onnxruntime worker thread died: ${error.message}`, error));
    this.respawn(slot);
  }

  private abort(job: Job): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) this.queue.splice(queued, 1);
    const slot = this.slots.find((s) => s.job === job);
    if (slot) slot.job = undefined; // stays busy until the worker is done with the batch
    this.settle(job, abortError(job.signal!));
  }

  private respawn(slot: Slot): void {
    if (this.disposing) return;
    this.restarts++;
    this.routing.reset(this.slots.indexOf(slot));
    this.spawn(slot, this.init).catch(() => this.pump()); // the slot is now 'broken'; pump fails the queue
  }

  private settle(job: Job, error: unknown, logits?: Float32Array): void {
    if (job.onAbort) job.signal!.removeEventListener('abort', job.onAbort);
    if (logits) job.resolve(logits);
    else job.reject(error);
  }
}

function backendFailed(message: string, cause?: unknown): RerankerError {
  return new RerankerError('BACKEND_FAILED', `${message} (retryable: the worker is being replaced).`, {
    cause,
  });
}
