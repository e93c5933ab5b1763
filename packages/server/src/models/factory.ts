import { existsSync, statSync } from 'node:fs';
import type { BackendCandidate, ComputeBudget, Logger, RequestSlots, UnifiedReRanker } from '@reranker/core';
import { type CreateRerankerOptions, createReranker, hubCacheFolder, loadConfig } from '@reranker/node';
import type { ServerMetrics } from '../metrics/prometheus';
import { namedBudget } from './compute';
import { modelBytes } from './size';
import type { ModelSpec } from './spec';

/** A loaded model and the bytes of weights it holds (see `modelBytes`). */
export interface LoadedReranker {
  reranker: UnifiedReRanker;
  bytes: number | undefined;
}

/** Creates the reranker of one model; the registry calls nothing else to create one. */
export interface ModelLoader {
  /**
   * `requestSlots`: where the engine takes its request slots (a share of the server-wide ones), in
   * place of its own controller of the model's `maxParallel` / `maxQueue`.
   */
  load(spec: ModelSpec, requestSlots?: RequestSlots): Promise<LoadedReranker>;
  /** The model's bytes before it is loaded, from files already on disk; undefined when unknown. */
  estimate(spec: ModelSpec): number | undefined;
  /** The compute budget every model it loads shares, if any. */
  readonly computeBudget?: ComputeBudget;
}

export interface LoaderOptions {
  /** Environment of the engine variables every model shares (threads, cache, queue timeout…). */
  env: Record<string, string | undefined>;
  logger: Logger;
  /** The backends to try for a model (each model gets its own instances). */
  backends: (spec: ModelSpec) => BackendCandidate[] | Promise<BackendCandidate[]>;
  /** Records per-batch histograms under the model's label. */
  metrics?: ServerMetrics;
  /**
   * The process's one compute budget (`createComputeBudget()`): every model's engine sizes its
   * workers from it and takes one of its lanes per batch, so the threads of all loaded models
   * together stay within the cores, and a burst on one model does not starve another. Each model
   * registers under its name with its `weight`. @default none: each engine sizes itself to the machine
   */
  computeBudget?: ComputeBudget;
  /** Engine options every model gets over `env` (tests pass `workers: 1`). */
  engine?: Omit<CreateRerankerOptions, 'model' | 'env' | 'backends' | 'logger' | 'computeBudget'>;
}

/**
 * The one place the server creates rerankers: `createReranker` of @reranker/node with the shared
 * environment and each model's own settings over it, backends wrapped to measure the weights loaded.
 */
export function rerankerLoader(options: LoaderOptions): ModelLoader {
  const shared = loadConfig(options.env);
  const budget = options.computeBudget;
  return {
    computeBudget: budget,
    async load(spec, requestSlots) {
      let bytes: number | undefined;
      const dtype = spec.dtype ?? shared.dtype;
      const candidates = await options.backends(spec);
      const instrumented = options.metrics ? options.metrics.instrument(candidates, spec.name) : candidates;
      const measured = instrumented.map(
        (candidate): BackendCandidate => ({
          name: candidate.name,
          load: async (loadOptions) => {
            bytes = modelBytes(loadOptions.model, loadOptions.dtype);
            return candidate.load(loadOptions);
          },
        }),
      );
      const reranker = await createReranker({
        progress: 'none',
        ...options.engine,
        ...(budget && { computeBudget: namedBudget(budget, spec.name), computeWeight: spec.weight ?? 1 }),
        // For LLM rerankers; a cross-encoder refuses one (INVALID_CONFIG, a failed load).
        ...(spec.instruction !== undefined && { instruction: spec.instruction }),
        env: options.env,
        logger: options.logger,
        backends: measured,
        model: spec.source,
        dtype,
        ...(spec.maxLength !== undefined && { maxLength: spec.maxLength }),
        ...(spec.batchSize !== undefined && { batchSize: spec.batchSize }),
        ...(spec.maxParallel !== undefined && { maxParallel: spec.maxParallel }),
        ...(spec.maxQueue !== undefined && { maxQueue: spec.maxQueue }),
        ...(requestSlots && { requestSlots }),
      });
      return { reranker, bytes };
    },
    estimate(spec) {
      const dtype = spec.dtype ?? shared.dtype;
      if (isFolder(spec.source)) return modelBytes({ localDir: spec.source }, dtype);
      const [owner, name, ...rest] = spec.source.split('/');
      if (!owner || !name || rest.length > 0) return undefined;
      return modelBytes({ localDir: hubCacheFolder(shared.cacheDir, owner, name, shared.revision) }, dtype);
    },
  };
}

function isFolder(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isDirectory();
  } catch {
    return false;
  }
}
