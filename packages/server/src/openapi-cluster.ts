import { errorResponses, OPS_UNAUTHORIZED } from './openapi-errors';
import {
  arr,
  bool,
  choice,
  int,
  json,
  nil,
  num,
  obj,
  ref,
  requestCounts,
  requestTimes,
  type Schema,
  str,
} from './openapi-parts';

const ms = { anyOf: [num, nil] };
const percentiles = obj({ p50: ms, p95: ms, p99: ms });
const redisState = choice('ok', 'degraded');

/** The last background count of the shared cache's Redis entries (REDIS_SIZE_SAMPLE_MS). */
export const sharedCache = obj({ keys: int, sampled_at: str }, ['keys', 'sampled_at']);
/** The `distributed` block of /health (distributed mode only). */
export const distributed = obj(
  {
    enabled: { type: 'boolean', const: true },
    redis: redisState,
    servers: { anyOf: [int, nil], description: 'Live servers in the registry; null when Redis is down.' },
    shared_cache: {
      anyOf: [sharedCache, nil],
      description: 'Entries under the prefix, counted in the background; null before the first count.',
    },
    global_limits: obj({ max_parallel: int, rate_limit_rps: int, redis: redisState }),
  },
  ['enabled', 'redis', 'servers', 'shared_cache'],
);

const histogram = {
  ...arr(int),
  description: 'Counts per latency bucket (2^(1/4) apart from 0.5 ms), then above.',
};
const servedModel = obj(
  {
    name: str,
    state: choice('unloaded', 'loading', 'loaded', 'failed'),
    loaded: bool,
    default: bool,
    in_flight: { ...int, description: 'Requests running or waiting on the model at the last heartbeat.' },
    metrics: obj({
      requests: int,
      successful: int,
      failed: int,
      documents: int,
      wait_ms_sum: num,
      process_ms_sum: num,
      wait_ms: histogram,
      process_ms: histogram,
    }),
  },
  ['name', 'state', 'loaded', 'default', 'in_flight'],
);
const clusterModel = obj({
  servers: { ...int, description: 'Live servers serving the model.' },
  loaded_on: { ...int, description: 'Of those, servers that have it loaded.' },
  in_flight: { ...int, description: 'Requests running or waiting on the model, summed over the servers.' },
  ...requestCounts(num),
  documents_scored: int,
  ...requestTimes(ms),
});

const serverEntry = obj(
  {
    id: str,
    host: str,
    port: int,
    model: str,
    backend: str,
    device: str,
    started_at: str,
    load: obj({ active: int, waiting: int, max_parallel: int }, ['active', 'waiting']),
    metrics: obj({ requests: int, errors: int, documents: int, latency_ms: arr(int) }),
    models: { ...arr(servedModel), description: 'The models the server serves, and which are loaded.' },
  },
  ['id', 'host', 'port', 'model', 'backend', 'device', 'started_at', 'load'],
);

/** The bodies of distributed mode's routes, as `components.schemas`. */
export const clusterSchemas: Record<string, Schema> = {
  Cluster: obj({ self: str, servers: arr(serverEntry) }),
  ClusterMetrics: obj({
    servers: int,
    desired_servers: {
      anyOf: [int, nil],
      description:
        'Servers the demand needs: max(1, ceil(scaling.in_flight / (scaling.capacity_per_server × scaling.target_utilization))); null when no server publishes its capacity.',
    },
    scaling: obj({
      in_flight: {
        ...int,
        description: 'Rerank requests running plus waiting, summed over the live servers.',
      },
      capacity_per_server: {
        anyOf: [num, nil],
        description: 'Mean MAX_PARALLEL_REQUESTS of the servers that publish it.',
      },
      target_utilization: { ...num, description: 'SCALE_TARGET_UTILIZATION.' },
    }),
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
    models: {
      type: 'object',
      additionalProperties: clusterModel,
      description:
        "Per served model, /metrics's flat keys over the servers serving it: means over all requests, percentiles from merged histograms.",
    },
  }),
};

const CLUSTER_ERRORS = errorResponses({
  ...OPS_UNAUTHORIZED,
  '404': [['native'], 'distributed mode is off (ENABLE_DISTRIBUTED)'],
  '503': [['native'], 'Redis does not answer'],
});

const operation = (operationId: string, summary: string, schema: string): Schema => ({
  get: {
    operationId,
    tags: ['cluster'],
    summary,
    responses: { '200': json(ref(schema), 'ok'), ...CLUSTER_ERRORS },
  },
});

/** The routes of distributed mode: GET /cluster and GET /metrics/cluster. */
export const clusterPaths: Record<string, Schema> = {
  '/cluster': operation(
    'getCluster',
    'Distributed mode: the live servers of the cluster, from the Redis registry',
    'Cluster',
  ),
  '/metrics/cluster': operation(
    'getClusterMetrics',
    'Distributed mode: counts summed over the live servers; latency percentiles (ms) from their merged histograms',
    'ClusterMetrics',
  ),
};
