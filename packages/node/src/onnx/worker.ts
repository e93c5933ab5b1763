/**
 * Worker-thread entry: one onnxruntime session per thread. `session.run()` in onnxruntime-node is
 * synchronous on the calling thread, so it runs here and never on the main event loop.
 *
 * Decoder rerankers run through core's `DecoderRunner`, whose prefix key/value LRU lives in this
 * thread. `@reranker/core` resolves as in the main thread: a worker inherits its `execArgv`, so the
 * `@reranker/source` condition of tests and tsx runs applies here too; builds import core's `dist`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  type BackendKindInfo,
  DecoderRunner,
  decoderGraphLayout,
  type EncodedBatch,
  type ModelConfig,
  type PrefixCacheOptions,
  type PrefixCacheStats,
  type RunnerSession,
} from '@reranker/core';
import * as ort from 'onnxruntime-node';

/** What a worker is started with (`workerData`). */
export interface WorkerInit {
  /** Absolute path of the `.onnx` file: each worker opens it itself, no bytes cross threads. */
  modelPath: string;
  executionProviders: string[];
  /** Retry with `['cpu']` when the requested providers fail (only the first worker of a pool tries). */
  fallbackToCpu: boolean;
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  intraOpNumThreads: number;
  /** onnxruntime's `session.intra_op.allow_spinning`. */
  allowSpinning: boolean;
  /** Decoder kinds: batches run through core's `DecoderRunner` (`run-decoder` requests). */
  decoder?: { kind: BackendKindInfo; config: ModelConfig; prefixCache?: PrefixCacheOptions };
}

/** Main thread -> worker: run a batch. */
export interface RunRequest {
  type: 'run';
  id: number;
  /** `[rows, width]` of every input. */
  dims: [number, number];
  /** The int64 arrays by the input names the model declares (core's `sessionInputs`). */
  inputs: Record<string, BigInt64Array>;
}

/** Main thread -> worker: run a decoder batch (its prefix, if any, through the worker's LRU). */
export interface DecoderRunRequest {
  type: 'run-decoder';
  id: number;
  batch: EncodedBatch;
}

/**
 * Main thread -> worker: release the session and let the thread end. Workers are never terminated
 * from outside: `worker.terminate()` during a native onnxruntime call aborts the whole process
 * ("terminate called after throwing an instance of 'Napi::Error'"), so they close themselves.
 */
export interface CloseRequest {
  type: 'close';
}

/** Worker -> main thread. */
export type WorkerReply =
  | {
      type: 'ready';
      executionProviders: string[];
      fallbackReason?: string;
      inputNames: string[];
      outputNames: string[];
      /** Static dims of `logits` (`null` for symbolic ones such as the batch size), when declared. */
      logitsShape?: (number | null)[];
      /** Declared dims of every tensor input and output, by name. */
      shapes: Record<string, (number | null)[]>;
    }
  | { type: 'load-failed'; message: string }
  | {
      type: 'result';
      id: number;
      logits: Float32Array;
      /** Decoder batches with a prefix: whether its key/values came from this worker's LRU. */
      prefix?: 'hit' | 'miss';
      prefixCache?: PrefixCacheStats;
    }
  | { type: 'run-failed'; id: number; message: string };

interface Loaded {
  session: ort.InferenceSession;
  executionProviders: string[];
  fallbackReason?: string;
}

async function createSession(init: WorkerInit): Promise<Loaded> {
  const create = (executionProviders: string[]) =>
    ort.InferenceSession.create(init.modelPath, {
      executionProviders,
      graphOptimizationLevel: init.graphOptimizationLevel,
      intraOpNumThreads: init.intraOpNumThreads,
      // One batch at a time per session: inter-op threads and parallel mode only over-subscribe the cores.
      interOpNumThreads: 1,
      executionMode: 'sequential',
      extra: { session: { intra_op: { allow_spinning: init.allowSpinning ? '1' : '0' } } },
    });
  try {
    return { session: await create(init.executionProviders), executionProviders: init.executionProviders };
  } catch (error) {
    const cpuOnly = init.executionProviders.length === 1 && init.executionProviders[0] === 'cpu';
    if (!init.fallbackToCpu || cpuOnly) throw error;
    // onnxruntime does not fall back by itself when a listed provider fails to load.
    const session = await create(['cpu']);
    return { session, executionProviders: ['cpu'], fallbackReason: messageOf(error) };
  }
}

async function runBatch(session: ort.InferenceSession, request: RunRequest): Promise<Float32Array> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, data] of Object.entries(request.inputs)) {
    feeds[name] = new ort.Tensor('int64', data, request.dims);
  }
  const { logits } = await session.run(feeds);
  if (!logits) throw new Error('the model returned no `logits` output');
  // A copy we own, so its buffer can be transferred (onnxruntime's output memory may not be detachable).
  return (logits.data as Float32Array).slice();
}

function shapesOf(session: ort.InferenceSession): Record<string, (number | null)[]> {
  const shapes: Record<string, (number | null)[]> = {};
  for (const meta of [...session.inputMetadata, ...session.outputMetadata])
    if (meta.isTensor) shapes[meta.name] = meta.shape.map((dim) => (typeof dim === 'number' ? dim : null));
  return shapes;
}

/** onnxruntime-node as core's runner sees a session. Outputs are copied: the LRU keeps presents. */
function runnerSession(session: ort.InferenceSession): RunnerSession<ort.Tensor> {
  return {
    run: (feeds, fetches) => session.run(feeds, [...fetches]) as Promise<Record<string, ort.Tensor>>,
    int64: (data, dims) => new ort.Tensor('int64', data, [...dims]),
    float32: (data, dims) => new ort.Tensor('float32', data, [...dims]),
    read: async (tensor) => (tensor.data as Float32Array).slice(),
    dims: (tensor) => tensor.dims,
  };
}

/** The decoder runner of this worker's session, or the reason it has none (the main thread refuses it too). */
function decoderRunner(
  session: ort.InferenceSession,
  init: WorkerInit,
  shapes: Record<string, (number | null)[]>,
): DecoderRunner<ort.Tensor> | Error | undefined {
  if (!init.decoder) return undefined;
  const { kind, config, prefixCache } = init.decoder;
  try {
    const signature = { inputNames: session.inputNames, outputNames: session.outputNames, shapes };
    const layout = decoderGraphLayout(signature, kind, config, init.modelPath);
    return new DecoderRunner(runnerSession(session), layout, kind, { prefixCache });
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function main(port: NonNullable<typeof parentPort>): Promise<void> {
  const send = (reply: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);
  let loaded: Loaded;
  try {
    loaded = await createSession(workerData as WorkerInit);
  } catch (error) {
    send({ type: 'load-failed', message: messageOf(error) });
    port.close();
    return;
  }
  const { session } = loaded;
  const shapes = shapesOf(session);
  const decoder = decoderRunner(session, workerData as WorkerInit, shapes);
  let current: Promise<void> = Promise.resolve();
  const failed = (id: number) => (error: unknown) =>
    send({ type: 'run-failed', id, message: messageOf(error) });
  port.on('message', (request: RunRequest | DecoderRunRequest | CloseRequest) => {
    if (request.type === 'close') {
      // After the batch in progress, if any: the session must outlive its run.
      void current.then(() => session.release()).finally(() => port.close());
      return;
    }
    if (request.type === 'run-decoder') {
      const runner = decoder;
      if (!(runner instanceof DecoderRunner)) {
        failed(request.id)(runner ?? new Error('the worker was not started for a decoder model'));
        return;
      }
      current = runner.run(request.batch).then((result) => {
        const { logits, prefix } = result;
        const reply = { type: 'result', id: request.id, logits, prefixCache: runner.cache.stats() } as const;
        send(prefix ? { ...reply, prefix } : reply, [logits.buffer as ArrayBuffer]);
      }, failed(request.id));
      return;
    }
    current = runBatch(session, request).then(
      (logits) => send({ type: 'result', id: request.id, logits }, [logits.buffer as ArrayBuffer]),
      failed(request.id),
    );
  });
  send({
    type: 'ready',
    executionProviders: loaded.executionProviders,
    ...(loaded.fallbackReason === undefined ? {} : { fallbackReason: loaded.fallbackReason }),
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    ...(shapes.logits ? { logitsShape: shapes.logits } : {}),
    shapes,
  });
}

if (parentPort) void main(parentPort);
