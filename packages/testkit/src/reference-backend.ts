import { loadReferenceModel, type ReferenceModel, referenceLogits } from './reference';

// Structural copies of the contracts in packages/core/src/backend.ts: testkit cannot import
// @reranker/core (core's tests depend on testkit), and any core Backend satisfies these shapes.

/** Mirrors core's `EncodedBatch`. */
export interface EncodedBatchLike {
  rows: number;
  width: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  /** Decoder kinds: the ids every row continues. */
  prefix?: { key: string; inputIds: BigInt64Array };
}

/** Mirrors core's `Backend`. */
export interface BackendLike {
  readonly name: string;
  readonly device: string;
  run(batch: EncodedBatchLike, options?: { signal?: AbortSignal }): Promise<Float32Array>;
  dispose(): Promise<void>;
  readonly concurrency?: number;
  describe?(): Record<string, unknown>;
}

/** Mirrors core's `Logger`. */
export interface LoggerLike {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** Mirrors core's `BackendLoadOptions` (the model config is left open). */
export interface BackendLoadOptionsLike {
  model: {
    id: string;
    source: string;
    revision: string;
    read(path: string): Promise<Uint8Array>;
    localDir?: string;
  };
  config: { model_type: string; [key: string]: unknown };
  /** Mirrors core's `BackendKindInfo` (the fields the reference reads). */
  kind?: { name: string; numLabels: number; labelTokenIds?: { no: number; yes: number } };
  dtype: 'fp32' | 'fp16' | 'q8';
  logger: LoggerLike;
  signal?: AbortSignal;
}

/** Mirrors core's `BackendCandidate`. */
export interface BackendCandidateLike {
  readonly name: string;
  load(options: BackendLoadOptionsLike): Promise<BackendLike>;
}

export interface ReferenceBackendOptions {
  /** @default 'reference' */
  name?: string;
  /** What `backend.device` reports. @default 'cpu' */
  device?: string;
}

/** An error with core's `code` property, without core's class. */
export function codedError(code: 'ABORTED' | 'DISPOSED' | 'MODEL_LOAD_FAILED', message: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * A backend that computes logits with the float64 reference forward pass (`config.json` and
 * `model.safetensors` from `model.localDir`), one unpadded row at a time: real scores without
 * onnxruntime, for core's tests. Slow: meant for the tiny presets.
 */
export function referenceBackend(options: ReferenceBackendOptions = {}): BackendCandidateLike {
  const name = options.name ?? 'reference';
  return {
    name,
    async load({ model }) {
      if (!model.localDir) {
        throw codedError(
          'MODEL_LOAD_FAILED',
          `${name}: ${model.id} has no localDir; the reference reads a folder`,
        );
      }
      const reference = await loadReferenceModel(model.localDir);
      return loadedReference(name, options.device ?? 'cpu', reference);
    },
  };
}

function loadedReference(name: string, device: string, model: ReferenceModel): BackendLike {
  const numLabels = Object.keys(model.config.id2label).length;
  let disposed = false;
  return {
    name,
    device,
    concurrency: 1,
    async run(batch, runOptions) {
      if (disposed) throw codedError('DISPOSED', `${name}: the backend was disposed`);
      const signal = runOptions?.signal;
      if (signal?.aborted) {
        // As core's backends: a RerankerError reason is passed on, any other reason becomes ABORTED.
        if ((signal.reason as { name?: unknown } | undefined)?.name === 'RerankerError') throw signal.reason;
        throw codedError('ABORTED', `${name}: the batch was aborted`);
      }
      await new Promise((resolve) => setImmediate(resolve)); // asynchronous like a real backend
      const logits = new Float32Array(batch.rows * numLabels);
      for (let r = 0; r < batch.rows; r++) {
        const row = r * batch.width;
        let length = 0; // padding is on the right: the row ends where its mask ends
        for (let t = 0; t < batch.width; t++) if (batch.attentionMask[row + t] !== 0n) length = t + 1;
        const slice = (array: BigInt64Array) => Array.from(array.subarray(row, row + length), Number);
        const out = referenceLogits(model, {
          inputIds: slice(batch.inputIds),
          tokenTypeIds: slice(batch.tokenTypeIds),
        });
        logits.set(out, r * numLabels);
      }
      return logits;
    },
    async dispose() {
      disposed = true;
    },
    describe: () => ({ reference: true, numLabels }),
  };
}
