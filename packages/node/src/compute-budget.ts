import { availableParallelism } from 'node:os';
import { ComputeBudget } from '@reranker/core';
import { budgetShape } from './onnx/topology';

export interface CreateComputeBudgetOptions {
  /**
   * Batches that may run at once across every reranker sharing the budget.
   * @default max(min(2, cores), ceil(cores / 4)); cores / threadsPerLane when only that is given
   */
  lanes?: number;
  /**
   * Threads each running batch uses (each onnxruntime session's `intraOpNumThreads`).
   * @default max(1, floor(cores / lanes)): 1 on 2 cores, 4 on 8
   */
  threadsPerLane?: number;
  /** The cores to divide. @default os.availableParallelism() */
  cores?: number;
}

/**
 * One compute budget for every reranker of this process, sized so that lanes × threadsPerLane =
 * the cores. Pass it as `computeBudget` to each `createReranker`: each model's onnxruntime backend
 * then gets one worker of `threadsPerLane` threads per lane, and only `lanes` batches run at once over
 * all models, granted fairly between them.
 *
 * @example
 * const budget = createComputeBudget(); // on 2 cores: 2 lanes × 1 thread
 * const fast = await createReranker({ model: 'Xenova/ms-marco-MiniLM-L-6-v2', computeBudget: budget });
 * const multi = await createReranker({ model: 'BAAI/bge-reranker-base', computeBudget: budget });
 */
export function createComputeBudget(options: CreateComputeBudgetOptions = {}): ComputeBudget {
  const { cores = availableParallelism(), ...shape } = options;
  return new ComputeBudget(budgetShape(shape, cores));
}
