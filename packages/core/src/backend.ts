import { errorMessage, RerankerError } from './errors';
import type { BackendKindInfo } from './kinds/kind';
import type { Logger } from './logger';
import type { Dtype, ModelConfig, ModelFiles } from './model';

/**
 * Pairs already tokenized, padded to one width and laid out row-major as int64, the dtype ONNX
 * exports of BERT and XLM-R take. `tokenTypeIds` is all zeros for models without token types;
 * a backend feeds only the inputs its model declares.
 */
export interface EncodedBatch {
  rows: number;
  width: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  /**
   * Decoder kinds only: the ids every row continues (batch 1) and a key identifying them (SHA-256 of
   * the model fingerprint and the ids), under which a backend may cache the prefix's key/values.
   * The rows then hold only each document's tokens and the suffix, right-padded; positions continue
   * after the prefix; the logits are read at each row's last real token. See `joinPrefixRows` for
   * backends that run the whole prompt instead.
   */
  prefix?: { key: string; inputIds: BigInt64Array };
}

/** Throws INVALID_INPUT unless every array of the batch holds rows × width values (a backend's first check). */
export function checkEncodedBatch(batch: EncodedBatch): void {
  const size = batch.rows * batch.width;
  const arrays = [batch.inputIds, batch.attentionMask, batch.tokenTypeIds];
  if (arrays.some((array) => array.length !== size)) {
    throw new RerankerError(
      'INVALID_INPUT',
      `An encoded batch of ${batch.rows} rows × ${batch.width} must hold ${size} ids, mask and type values each.`,
    );
  }
}

/** The ONNX input each array of an `EncodedBatch` feeds (the names BERT and XLM-R exports declare). */
export const BATCH_INPUTS = {
  input_ids: 'inputIds',
  attention_mask: 'attentionMask',
  token_type_ids: 'tokenTypeIds',
} as const;

/**
 * The batch's arrays under the input names an ONNX session declares, each to be shaped
 * `[rows, width]`: only the declared ones (XLM-R exports have no token_type_ids). Throws
 * MODEL_LOAD_FAILED for a name no array feeds (`checkClassifierGraph` turns such a graph away at load).
 */
export function sessionInputs(
  batch: EncodedBatch,
  inputNames: readonly string[],
): Record<string, BigInt64Array> {
  const inputs: Record<string, BigInt64Array> = {};
  for (const name of inputNames) {
    if (!Object.hasOwn(BATCH_INPUTS, name)) {
      throw new RerankerError(
        'MODEL_LOAD_FAILED',
        `The model declares input ${name}, which an encoded batch cannot feed (it has ${Object.keys(BATCH_INPUTS).join(', ')}).`,
      );
    }
    inputs[name] = batch[BATCH_INPUTS[name as keyof typeof BATCH_INPUTS]];
  }
  return inputs;
}

/**
 * Returns `logits` if it holds one value per row and label, else throws BACKEND_FAILED: a backend's
 * last check, and the scheduler's, so a model whose outputs and config.json disagree never gives
 * shifted scores. `source` names what returned them, e.g. `onnxruntime-node (model.onnx)`.
 */
export function checkLogits(
  logits: Float32Array,
  rows: number,
  numLabels: number,
  source: string,
): Float32Array {
  if (logits.length !== rows * numLabels) {
    throw new RerankerError(
      'BACKEND_FAILED',
      `${source} returned ${logits.length} logits for ${rows} rows × ${numLabels} labels (the labels config.json declares): the model and its config.json disagree.`,
    );
  }
  return logits;
}

/** A loaded model on one runtime and device. */
export interface Backend {
  /** Runtime name, e.g. `onnxruntime-node`. */
  readonly name: string;
  /** What really runs, e.g. `cpu`, `cuda`, `webgpu`, `wasm`. */
  readonly device: string;
  /**
   * Logits of every row, `rows × numLabels` in row order. Rejects on failure (never made-up values);
   * a `RerankerError` with code `BACKEND_FAILED` marks a transient failure worth retrying.
   */
  run(batch: EncodedBatch, options?: { signal?: AbortSignal }): Promise<Float32Array>;
  /** Releases sessions, workers and memory. Idempotent. */
  dispose(): Promise<void>;
  /** Optional: how many batches it can usefully run at once (worker count). @default 1 */
  readonly concurrency?: number;
  /** Optional: facts for `info()` (threads, execution providers, fallbacks taken). */
  describe?(): Record<string, unknown>;
}

export interface BackendLoadOptions {
  model: ModelFiles;
  config: ModelConfig;
  /**
   * What the model kind asks of a backend (its graph, its label count, for yes/no rerankers the label
   * token ids). Absent from callers that predate kinds: then the model is a cross-encoder.
   */
  kind?: BackendKindInfo;
  dtype: Dtype;
  logger: Logger;
  signal?: AbortSignal;
  /**
   * The compute budget the reranker's batches share with other models' (`computeBudget` option): at
   * most `lanes` batches run at once over all of them, each with `threadsPerLane` threads. A backend
   * sizes its sessions from it (threads = threadsPerLane, useful concurrency ≤ lanes) instead of
   * taking every core. @default none: the backend may use the whole machine
   */
  computeBudget?: { readonly lanes: number; readonly threadsPerLane: number };
}

/** One way to run a model, tried in order by `resolveBackend` (no global registry: a list per instance). */
export interface BackendCandidate {
  /** Name shown in errors and `info()`, e.g. `onnxruntime-node:cuda`. */
  readonly name: string;
  load(options: BackendLoadOptions): Promise<Backend>;
}

export interface BackendFailure {
  candidate: string;
  message: string;
  error: unknown;
}

export interface ResolvedBackend {
  backend: Backend;
  /** Candidates that failed before the winner, with their reasons (shown by `info()`). */
  failures: BackendFailure[];
}

/**
 * Loads the first candidate that succeeds. When every one fails, a single `BACKEND_UNAVAILABLE`
 * error lists each candidate's reason (or `MODEL_LOAD_FAILED` when all failed on the model itself).
 */
export async function resolveBackend(
  candidates: readonly BackendCandidate[],
  options: BackendLoadOptions,
): Promise<ResolvedBackend> {
  if (candidates.length === 0) {
    throw new RerankerError(
      'BACKEND_UNAVAILABLE',
      'No backend candidates were given: pass at least one backend.',
    );
  }
  const failures: BackendFailure[] = [];
  for (const candidate of candidates) {
    options.signal?.throwIfAborted();
    try {
      const backend = await candidate.load(options);
      return { backend, failures };
    } catch (error) {
      failures.push({ candidate: candidate.name, message: errorMessage(error), error });
      options.logger.debug(
        { candidate: candidate.name, err: errorMessage(error) },
        'backend candidate failed',
      );
    }
  }
  const allModel = failures.every(
    (f) => f.error instanceof RerankerError && f.error.code === 'MODEL_LOAD_FAILED',
  );
  const list = failures.map((f) => `${f.candidate}: ${f.message}`).join('; ');
  throw new RerankerError(
    allModel ? 'MODEL_LOAD_FAILED' : 'BACKEND_UNAVAILABLE',
    `No backend could load ${options.model.id} (${list}).`,
    { details: { failures: failures.map(({ candidate, message }) => ({ candidate, message })) } },
  );
}
