/**
 * Worker-thread entry: one onnxruntime session per thread. `session.run()` in onnxruntime-node is
 * synchronous on the calling thread, so it runs here and never on the main event loop.
 *
 * This file imports nothing from the workspace: from source it is loaded through tsx without the
 * `@reranker/source` condition, so workspace packages would resolve to builds that may not exist.
 */
import { parentPort, workerData } from 'node:worker_threads';
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
    }
  | { type: 'load-failed'; message: string }
  | { type: 'result'; id: number; logits: Float32Array }
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

function logitsShape(session: ort.InferenceSession): (number | null)[] | undefined {
  const meta = session.outputMetadata.find((m) => m.name === 'logits');
  if (!meta?.isTensor) return undefined;
  return meta.shape.map((dim) => (typeof dim === 'number' ? dim : null));
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
  const shape = logitsShape(session);
  let current: Promise<void> = Promise.resolve();
  port.on('message', (request: RunRequest | CloseRequest) => {
    if (request.type === 'close') {
      // After the batch in progress, if any: the session must outlive its run.
      void current.then(() => session.release()).finally(() => port.close());
      return;
    }
    current = runBatch(session, request).then(
      (logits) => send({ type: 'result', id: request.id, logits }, [logits.buffer as ArrayBuffer]),
      (error: unknown) => send({ type: 'run-failed', id: request.id, message: messageOf(error) }),
    );
  });
  send({
    type: 'ready',
    executionProviders: loaded.executionProviders,
    ...(loaded.fallbackReason === undefined ? {} : { fallbackReason: loaded.fallbackReason }),
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    ...(shape ? { logitsShape: shape } : {}),
  });
}

if (parentPort) void main(parentPort);
