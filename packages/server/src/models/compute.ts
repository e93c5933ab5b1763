import type { ComputeBudget, ComputeBudgetStats } from '@reranker/core';

/**
 * `budget` as one model's engine sees it: the same lanes, but the engine registers under the served
 * model's name. Core registers a reranker under its model id, which for a local model is a server
 * path, and the budget's stats are shown by /health and /metrics by the names clients use.
 * A proxy, because `ComputeBudget` keeps its state in private fields (methods run on the target).
 */
export function namedBudget(budget: ComputeBudget, name: string): ComputeBudget {
  return new Proxy(budget, {
    get(target, key) {
      if (key === 'register') {
        return (_id: string, options?: { weight?: number }) => target.register(name, options);
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Lanes of one model in the budget, in the API's snake case. */
export interface ComputeModelJson {
  weight: number;
  in_use: number;
  waiting: number;
  granted: number;
}

export interface ComputeBudgetJson {
  lanes: number;
  threads_per_lane: number;
  in_use: number;
  waiting: number;
  /** Loaded models by name (a model unloaded leaves the budget). */
  models: Record<string, ComputeModelJson>;
}

/** The budget's stats for /health and /metrics. */
export function computeBudgetJson(stats: ComputeBudgetStats): ComputeBudgetJson {
  const models: Record<string, ComputeModelJson> = {};
  for (const user of stats.users) {
    // An engine draining after an unload and its reloaded successor can share a name for a moment.
    const seen = models[user.name];
    models[user.name] = {
      weight: user.weight,
      in_use: (seen?.in_use ?? 0) + user.inUse,
      waiting: (seen?.waiting ?? 0) + user.waiting,
      granted: (seen?.granted ?? 0) + user.granted,
    };
  }
  return {
    lanes: stats.lanes,
    threads_per_lane: stats.threadsPerLane,
    in_use: stats.inUse,
    waiting: stats.waiting,
    models,
  };
}
