import { arr, errorBodies, int, json, obj, type Schema, str } from './openapi-parts';

const percentiles = obj({
  p50: { type: ['number', 'null'] },
  p95: { type: ['number', 'null'] },
  p99: { type: ['number', 'null'] },
});
/** The last background count of the shared cache's Redis entries (REDIS_SIZE_SAMPLE_MS). */
export const sharedCache = obj({ keys: int, sampled_at: str }, ['keys', 'sampled_at']);
/** The `distributed` block of /health (distributed mode only). */
export const distributed = obj(
  {
    enabled: { const: true },
    redis: { enum: ['ok', 'degraded'] },
    servers: { type: ['integer', 'null'] },
    shared_cache: { oneOf: [sharedCache, { type: 'null' }] },
    global_limits: obj({
      max_parallel: int,
      rate_limit_rps: int,
      redis: { enum: ['ok', 'degraded'] },
    }),
  },
  ['enabled', 'redis', 'servers', 'shared_cache'],
);
const serverEntry = obj(
  {
    id: str,
    host: str,
    port: int,
    model: str,
    backend: str,
    device: str,
    started_at: str,
    load: obj({ active: int, waiting: int }),
    metrics: obj({ requests: int, errors: int, documents: int, latency_ms: arr(int) }),
  },
  ['id', 'host', 'port', 'model', 'backend', 'device', 'started_at', 'load'],
);
const CLUSTER_ERRORS = {
  '404': json(errorBodies.native, 'distributed mode is off (ENABLE_DISTRIBUTED)'),
  '503': json(errorBodies.native, 'Redis does not answer (with Retry-After)'),
};

type Plain = (summary: string, schema: Schema, extra?: Schema) => Schema;

/** The routes of distributed mode: GET /cluster and GET /metrics/cluster. */
export function clusterPaths(plain: Plain): Record<string, Schema> {
  return {
    '/cluster': plain(
      'Distributed mode: the live servers of the cluster, from the Redis registry',
      obj({ self: str, servers: arr(serverEntry) }),
      CLUSTER_ERRORS,
    ),
    '/metrics/cluster': plain(
      'Distributed mode: counts summed over the live servers; latency percentiles (ms) from their merged histograms',
      obj({
        servers: int,
        requests: int,
        errors: int,
        documents: int,
        latency_ms: percentiles,
        per_server: arr(
          obj(
            {
              id: str,
              host: str,
              port: int,
              requests: int,
              errors: int,
              documents: int,
              latency_ms: percentiles,
            },
            ['id', 'requests', 'errors', 'documents', 'latency_ms'],
          ),
        ),
      }),
      CLUSTER_ERRORS,
    ),
  };
}
