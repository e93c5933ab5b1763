import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createGlobalLimits,
  createReranker,
  createServerRegistry,
  type GlobalLimitsOptions,
  type ServerRegistry,
} from '@reranker/node';
import { synthesizedModelDir } from '@reranker/testkit';
import { createApp } from '../../src/app';
import { describeServer } from '../../src/cluster-entry';
import { serverConfig } from '../../src/config';
import { ServerMetrics } from '../../src/metrics/prometheus';
import { Probe, probedReference, silentPino } from '../helpers';

export interface Member {
  url: string;
  probe: Probe;
  /** The server's registry entry (with `registry: true`). */
  registry: ServerRegistry | undefined;
  /** Closes the listener, stops the registry and limits, frees the engine. */
  close(): Promise<void>;
}

export interface MemberOptions {
  /** Private key prefix of this test's cluster on the shared Redis. */
  keyPrefix: string;
  /** @default redis://127.0.0.1:6379 */
  redisUrl?: string;
  limits?: GlobalLimitsOptions;
  /** Join the server registry (GET /cluster, /metrics/cluster, the dashboard's server table). */
  registry?: boolean;
  /** @default 0.7 */
  targetUtilization?: number;
}

/**
 * A distributed server in this process, built as the bin builds it (engine on the testkit's tiny
 * model and probed reference backend, optional cluster limits, optional registry publishing the same
 * load and totals as the bin), listening on 127.0.0.1 at a free port.
 */
export async function startMember(options: MemberOptions): Promise<Member> {
  const { keyPrefix } = options;
  const url = options.redisUrl ?? 'redis://127.0.0.1:6379';
  const probe = new Probe();
  const metrics = new ServerMetrics({ defaultMetrics: false });
  const reranker = await createReranker({
    model: await synthesizedModelDir('tiny'),
    env: { ENABLE_DISTRIBUTED: 'true', REDIS_KEY_PREFIX: keyPrefix, REDIS_URL: url },
    backends: [probedReference(probe)],
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    progress: 'none',
  });
  // A generous Redis timeout: a slow answer would admit without a lease and blur what is tested.
  const limits = options.limits
    ? createGlobalLimits({ url, keyPrefix, timeoutMs: 2000, ...options.limits })
    : undefined;
  let port = 0;
  const registry = options.registry
    ? createServerRegistry({
        url,
        keyPrefix,
        heartbeatMs: 100,
        // What the bin publishes (load, totals, served models).
        describe: () => describeServer(app.service, metrics, { host: '127.0.0.1', port }),
      })
    : undefined;
  const app = createApp({
    reranker,
    config: serverConfig({ warmupOnStart: false, scaleTargetUtilization: options.targetUtilization ?? 0.7 }),
    logger: silentPino(),
    metrics,
    registry,
    limits,
  });
  await app.service.ready;
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  port = (server.address() as AddressInfo).port;
  await registry?.start();
  return {
    url: `http://127.0.0.1:${port}`,
    probe,
    registry,
    async close() {
      probe.release();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await registry?.stop();
      await limits?.dispose();
      await reranker.dispose();
    },
  };
}
