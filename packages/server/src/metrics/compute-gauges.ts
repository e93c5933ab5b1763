import type { ComputeBudget } from '@reranker/core';
import { Counter, Gauge, type Registry } from 'prom-client';
import { modelGauge } from './model-gauges';

/**
 * The compute budget the models share (several models only; nothing is exported without one): its
 * lanes, and per model the lanes held, the batches waiting and the lanes granted, read at scrape time.
 */
export function defineComputeGauges(registers: Registry[], budget: () => ComputeBudget | undefined): void {
  const users = () => budget()?.stats().users ?? [];
  new Gauge({
    name: 'reranker_compute_lanes',
    help: 'Batches the shared compute budget lets run at once over all models.',
    registers,
    collect() {
      this.reset();
      const b = budget();
      if (b) this.set(b.lanes);
    },
  });
  const perModel = (name: string, help: string, read: 'inUse' | 'waiting') =>
    modelGauge(registers, name, help, () => users().map((user) => [user.name, user[read]] as const));
  perModel('reranker_compute_lanes_in_use', 'Compute budget lanes running a batch of the model.', 'inUse');
  perModel('reranker_compute_waiting', "The model's batches waiting for a compute budget lane.", 'waiting');
  // Grants count from each engine's registration: added as they change, a reloaded engine from 0.
  const seen = new Map<string, number>();
  new Counter({
    name: 'reranker_compute_grants_total',
    help: 'Compute budget lanes granted to the model (one per batch).',
    labelNames: ['model'],
    registers,
    collect() {
      const now = new Map<string, number>();
      for (const user of users()) now.set(user.name, (now.get(user.name) ?? 0) + user.granted);
      for (const [model, total] of now) {
        const before = seen.get(model) ?? 0;
        const added = total >= before ? total - before : total;
        if (added > 0) this.inc({ model }, added);
      }
      for (const model of seen.keys()) if (!now.has(model)) seen.delete(model);
      for (const [model, total] of now) seen.set(model, total);
    },
  });
}
