/** Worker threads of one onnxruntime-node backend and the intra-op threads of each one's session. */
export interface Topology {
  workers: number;
  threadsPerWorker: number;
}

/** Lanes of a compute budget and the threads each running batch may use. */
export interface BudgetShape {
  readonly lanes: number;
  readonly threadsPerLane: number;
}

/** Threads one session gets by default before more workers pay off (see resolveTopology). */
const MAX_DEFAULT_THREADS = 4;

/**
 * Workers × threads per worker, never more than `cores` unless both are given explicitly.
 *
 * Core sends up to `concurrency` (= workers) batches at once, and a small request is often a single
 * batch, so threads inside one session serve latency while workers serve throughput. Measured on 2
 * cores (minilm-l6, 8 × 128 tokens): 1 worker × 2 threads ran a lone batch in ~95 ms against ~180 ms
 * for 2 workers × 1 thread, and matched its throughput under load (~80 pairs/s each). So small
 * machines get one worker using every core. Intra-op scaling flattens past ~4 threads on these small
 * matrices, so larger machines get more workers of up to 4 threads (8 cores: 2 × 4; 16: 4 × 4). GPU
 * devices get one worker: one session per GPU, the threads serve the nodes that stay on the CPU.
 *
 * With a compute budget, the budget stands in for the machine: each session gets the budget's
 * `threadsPerLane`, and the backend gets one worker per lane (a model alone can use every lane; with
 * several models, the budget lets only `lanes` batches run at once over all of them). Explicit
 * `workers` and `threadsPerWorker` still win.
 */
export function resolveTopology(
  options: { workers?: number; threadsPerWorker?: number },
  device: string,
  cores: number,
  budget?: BudgetShape,
): Topology {
  const { workers, threadsPerWorker } = options;
  if (budget) {
    return {
      workers: workers ?? (device === 'cpu' ? budget.lanes : 1),
      threadsPerWorker: threadsPerWorker ?? budget.threadsPerLane,
    };
  }
  if (workers !== undefined && threadsPerWorker !== undefined) return { workers, threadsPerWorker };
  if (workers !== undefined) return { workers, threadsPerWorker: Math.max(1, Math.floor(cores / workers)) };
  if (threadsPerWorker !== undefined) {
    return { workers: Math.max(1, Math.floor(cores / threadsPerWorker)), threadsPerWorker };
  }
  if (device !== 'cpu') return { workers: 1, threadsPerWorker: cores };
  const count = Math.ceil(cores / MAX_DEFAULT_THREADS);
  return { workers: count, threadsPerWorker: Math.max(1, Math.floor(cores / count)) };
}

/**
 * The default shape of a compute budget on `cores`: lanes × threadsPerLane ≤ cores.
 *
 * Unlike one model's topology (which prefers one many-threaded worker on a small machine, for the
 * latency of a lone batch), a budget shared by several models wants at least two lanes, so that one
 * model's long batch (an LLM reranker's, say) never holds every core while a small model's request
 * waits. Past that, lanes of up to 4 threads as in `resolveTopology`: 2 cores: 2 × 1; 4: 2 × 2;
 * 8: 2 × 4; 16: 4 × 4. Every lane is a session per model, so more lanes cost memory per model.
 */
export function budgetShape(
  options: { lanes?: number; threadsPerLane?: number },
  cores: number,
): BudgetShape {
  const { lanes, threadsPerLane } = options;
  if (lanes !== undefined && threadsPerLane !== undefined) return { lanes, threadsPerLane };
  if (lanes !== undefined) return { lanes, threadsPerLane: Math.max(1, Math.floor(cores / lanes)) };
  if (threadsPerLane !== undefined) {
    return { lanes: Math.max(1, Math.floor(cores / threadsPerLane)), threadsPerLane };
  }
  const count = Math.max(Math.min(2, cores), Math.ceil(cores / MAX_DEFAULT_THREADS));
  return { lanes: count, threadsPerLane: Math.max(1, Math.floor(cores / count)) };
}
