import { aggregateCluster, aggregateModels, type ServerEntry, type ServerRegistry } from '@reranker/node';
import { type RequestHandler, Router } from 'express';
import { HttpError } from '../errors';

export interface ClusterMetricsDeps {
  /** Auth for ops routes (a no-op unless METRICS_REQUIRE_AUTH is set). */
  auth: RequestHandler;
  /** The server registry of distributed mode; without one the route is a 404. */
  registry?: ServerRegistry;
  /** SCALE_TARGET_UTILIZATION, for `desired_servers`. */
  targetUtilization: number;
}

/**
 * `GET /metrics/cluster`: request, error and document counts summed over the live servers, and the
 * cluster's p50/p95/p99 latency from their merged histograms (see `aggregateCluster`). Each server
 * publishes its totals since start with every registry heartbeat, so the answer is at most one
 * heartbeat old. `models.<name>` aggregates each model over the servers that serve it.
 */
export function clusterMetricsRoutes({ auth, registry, targetUtilization }: ClusterMetricsDeps): Router {
  const router = Router();
  router.get(
    '/metrics/cluster',
    (_req, res, next) => {
      res.locals.route = '/metrics/cluster';
      next();
    },
    auth,
    async (_req, res) => {
      const servers = await liveServers(registry, 'the cluster metrics cannot be read');
      // Beside the totals, the same flat keys as /metrics per model, over the servers serving it.
      res.json({ ...aggregateCluster(servers, targetUtilization), models: aggregateModels(servers) });
    },
  );
  return router;
}

/** The registry's live servers; 404 outside distributed mode, 503 while Redis does not answer. */
export async function liveServers(
  registry: ServerRegistry | undefined,
  failing: string,
): Promise<ServerEntry[]> {
  if (!registry) {
    throw new HttpError(
      404,
      'NOT_FOUND',
      'No cluster: set ENABLE_DISTRIBUTED=true to join one through Redis.',
    );
  }
  return registry.list().catch(() => {
    throw new HttpError(503, 'UNHEALTHY', `Redis does not answer, so ${failing}; retry later.`, {
      retryAfter: 5,
    });
  });
}
