import { describe, expect, it } from 'vitest';
import { aggregateModels, ModelRequestTotals, type ServedModel } from '../src/redis/cluster-models';

// Per-model cluster metrics from hand-made heartbeat entries: sums, exact means, in-flight, servers
// that have the model loaded, and entries of older versions (no `models`) left out.
function served(name: string, totals: ModelRequestTotals, extra: Partial<ServedModel> = {}): ServedModel {
  return {
    name,
    state: 'loaded',
    loaded: true,
    default: false,
    in_flight: 0,
    metrics: totals.snapshot(name),
    ...extra,
  };
}

describe('aggregateModels', () => {
  it('sums each model over the servers that serve it', () => {
    const one = new ModelRequestTotals();
    one.record('bert', { ok: true, waitMs: 2, processMs: 10, documents: 3 });
    one.record('bert', { ok: false, waitMs: 4, processMs: 0, documents: 5 });
    one.record('xlmr', { ok: true, waitMs: 1, processMs: 40, documents: 7 });
    const two = new ModelRequestTotals();
    two.record('bert', { ok: true, waitMs: 6, processMs: 30, documents: 2 });

    const models = aggregateModels([
      { models: [served('bert', one, { in_flight: 2 }), served('xlmr', one)] },
      {
        models: [
          served('bert', two, { in_flight: 1 }),
          served('qwen', two, { state: 'unloaded', loaded: false }),
        ],
      },
      {}, // a server of an older version
    ]);

    expect(Object.keys(models)).toEqual(['bert', 'qwen', 'xlmr']);
    expect(models.bert).toMatchObject({
      servers: 2,
      loaded_on: 2,
      in_flight: 3,
      total_requests: 3,
      successful_requests: 2,
      failed_requests: 1,
      success_rate: 2 / 3,
      // A failed request's documents are not scored.
      documents_scored: 5,
      avg_wait_time_ms: 4,
    });
    // Means are rounded to microseconds, as /metrics rounds them.
    expect(models.bert!.avg_process_time_ms).toBeCloseTo((10 + 0 + 30) / 3, 3);
    expect(models.bert!.p50_process_time_ms).toBeGreaterThan(10 / 2 ** 0.25);
    expect(models.bert!.p50_process_time_ms).toBeLessThan(10 * 2 ** 0.25);
    expect(models.xlmr).toMatchObject({ servers: 1, total_requests: 1, documents_scored: 7 });
    expect(models.qwen).toMatchObject({
      servers: 1,
      loaded_on: 0,
      total_requests: 0,
      success_rate: 1,
      avg_wait_time_ms: null,
      p99_wait_time_ms: null,
    });
  });

  it('counts a served model whose server publishes no totals, without inventing any', () => {
    const models = aggregateModels([
      { models: [{ name: 'bert', state: 'loading', loaded: false, default: true, in_flight: 4 }] },
    ]);
    expect(models.bert).toMatchObject({ servers: 1, loaded_on: 0, in_flight: 4, total_requests: 0 });
  });
});
