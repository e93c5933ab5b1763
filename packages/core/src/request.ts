import type { CachedLogits } from './cache/contract';
import type { RequestSlots, TaskContext } from './concurrency';
import { RerankerError } from './errors';
import type { PairScorer } from './inference';
import type { MetricsRecorder } from './metrics';
import type { ScoringUsage } from './usage';

export interface RequestDeps {
  controller: RequestSlots;
  metrics: MetricsRecorder;
  scorer: PairScorer;
  workerTimeoutMs: number;
}

/** What a request got: the logits of its pairs, what they cost and where the time went. */
export interface RequestOutcome {
  logits: CachedLogits[];
  usage: ScoringUsage;
  /** Time waiting for a slot, and time computing, in ms. */
  timings: { queueMs: number; inferenceMs: number };
}

/**
 * One request's life: wait for a slot (bounded queue), compute within the inference time limit,
 * record wait and process times and the outcome.
 */
export async function runRequest(
  deps: RequestDeps,
  queries: string[],
  documents: string[],
  options: {
    signal?: AbortSignal;
    useCache: boolean;
    /** The call's instruction (decoder kinds), already resolved by the kind. */
    instruction?: string;
    /** A slot the caller already holds (`withSlot`): the request runs in it without queueing. */
    slot?: TaskContext;
  },
): Promise<RequestOutcome> {
  const queuedAt = performance.now();
  let waitMs = 0;
  let startedAt: number | undefined;
  try {
    const compute = async ({ waitedMs }: TaskContext) => {
      waitMs = waitedMs;
      startedAt = performance.now();
      const timeout = new AbortController();
      const timer = setTimeout(
        () =>
          timeout.abort(
            new RerankerError(
              'TIMEOUT',
              `Inference took longer than workerTimeoutMs (${deps.workerTimeoutMs} ms) for ${documents.length} pairs; raise WORKER_TIMEOUT or send fewer documents.`,
            ),
          ),
        deps.workerTimeoutMs,
      );
      try {
        const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
        return await deps.scorer.logits(queries, documents, {
          signal,
          useCache: options.useCache,
          instruction: options.instruction,
        });
      } finally {
        clearTimeout(timer);
      }
    };
    const scored = options.slot
      ? await compute(options.slot)
      : await deps.controller.run(compute, { signal: options.signal });
    const inferenceMs = performance.now() - startedAt!;
    deps.metrics.recordRequest({ ok: true, waitMs, processMs: inferenceMs, documents: documents.length });
    return { ...scored, timings: { queueMs: waitMs, inferenceMs } };
  } catch (error) {
    if (startedAt === undefined) waitMs = performance.now() - queuedAt;
    recordFailure(deps.metrics, error, waitMs, startedAt, documents.length);
    throw error;
  }
}

/**
 * Holds one request slot while `task` runs (see `UnifiedReRanker.withSlot`). A slot that was never
 * granted (queue full, queue timeout, aborted while waiting) is recorded as a failed request, as for
 * `runRequest`.
 */
export async function runInSlot<T>(
  deps: Pick<RequestDeps, 'controller' | 'metrics'>,
  task: (context: TaskContext) => Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  const queuedAt = performance.now();
  let started = false;
  try {
    return await deps.controller.run(
      (context) => {
        started = true;
        return task(context);
      },
      { signal },
    );
  } catch (error) {
    if (!started) recordFailure(deps.metrics, error, performance.now() - queuedAt, undefined, 0);
    throw error;
  }
}

function recordFailure(
  metrics: MetricsRecorder,
  error: unknown,
  waitMs: number,
  startedAt: number | undefined,
  documents: number,
): void {
  metrics.recordRequest({
    ok: false,
    waitMs,
    processMs: startedAt === undefined ? 0 : performance.now() - startedAt,
    documents,
    errorCode: error instanceof RerankerError ? error.code : 'INTERNAL',
  });
}
