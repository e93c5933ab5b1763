import type { ServedModel, ServerEntry } from '@reranker/node';
import type { ServerMetrics } from './metrics/prometheus';
import type { Service } from './service';

/**
 * What this server publishes in its registry heartbeat (distributed mode): identity, load, request
 * totals, and every model it serves with its state, in-flight requests and per-model totals.
 */
export function describeServer(
  service: Service,
  metrics: ServerMetrics,
  where: { host: string; port: number },
): Omit<ServerEntry, 'id' | 'started_at'> {
  const info = service.info;
  return {
    host: where.host,
    port: where.port,
    model: service.modelName,
    backend: info?.backend ?? 'loading',
    device: info?.device ?? 'unknown',
    // Running, waiting and capacity: GET /metrics/cluster computes desired_servers from them.
    load: metrics.heartbeatLoad(),
    // Totals and latency histogram since start: GET /metrics/cluster merges them.
    metrics: metrics.totals.snapshot(),
    models: servedModels(service, metrics),
  };
}

function servedModels(service: Service, metrics: ServerMetrics): ServedModel[] {
  const models = service.models;
  return models.entries.map((entry) => ({
    name: entry.name,
    state: entry.state,
    loaded: entry.state === 'loaded',
    default: entry === models.defaultEntry,
    in_flight: entry.users,
    metrics: metrics.modelTotals.snapshot(entry.name),
  }));
}
