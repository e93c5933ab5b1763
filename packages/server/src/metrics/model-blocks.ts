import type { ControllerStats, MetricsSnapshot } from '@reranker/core';
import type { ModelState } from '../models/entry';
import type { ModelRegistry } from '../models/registry';

/** One model's block of GET /metrics (`models.<name>`) and of the dashboard's stats. */
export type ModelBlock = MetricsSnapshot & { state: ModelState; controller: ControllerStats | null };

/** Each served model's request metrics (the flat /metrics keys), state and queue (null when not loaded). */
export function modelBlocks(models: ModelRegistry): Record<string, ModelBlock> {
  return Object.fromEntries(
    models.entries.map((e) => [
      e.name,
      { ...e.stats.snapshot(), state: e.state, controller: e.reranker?.stats().controller ?? null },
    ]),
  );
}
