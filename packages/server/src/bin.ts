#!/usr/bin/env node
import type { AddressInfo } from 'node:net';
import { errorMessage, isRerankerError } from '@reranker/core';
import {
  createComputeBudget,
  createGlobalLimits,
  createReranker,
  createServerRegistry,
  defaultBackends,
  loadConfig,
  readTemplateFile,
} from '@reranker/node';
import { createApp } from './app';
import { parseCommandLine } from './cli';
import { describeServer } from './cluster-entry';
import { loadServerConfig } from './config';
import { createServer } from './http-server';
import { createLogger, engineLogger } from './logger';
import { ServerMetrics } from './metrics/prometheus';
import { rerankerLoader } from './models/factory';
import { ModelRegistry } from './models/registry';
import { loadModelSpecs, type ModelSpec } from './models/spec';
import { onShutdownSignals } from './shutdown';

/**
 * `reranker-server`: reads flags and environment, starts listening at once (GET /health says
 * "loading" while the model loads), loads and warms the model, then serves until SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  // Run through `pnpm start` (or npm), relative paths mean the folder the user typed the command in.
  if (process.env.npm_lifecycle_event && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
  // `pnpm start -- --port 8001` passes the `--` through.
  const args = process.argv.slice(2);
  const env = parseCommandLine(args[0] === '--' ? args.slice(1) : args);
  let config: ReturnType<typeof loadServerConfig>;
  let engine: ReturnType<typeof loadConfig>;
  let specs: ModelSpec[] | undefined;
  try {
    config = loadServerConfig(env);
    engine = loadConfig(env);
    specs = loadModelSpecs(config);
    // A bad template file is a configuration error too: refused before listening, like a bad variable.
    if (engine.templateFile !== undefined) await readTemplateFile(engine.templateFile);
  } catch (error) {
    console.error(errorMessage(error));
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  const metrics = new ServerMetrics();
  // The library's own backend selection (USE_MLX, RERANKER_PYTHON, RERANKER_BACKEND).
  const backends = () => defaultBackends(engine, engineLogger(logger));
  // RERANKER_MODEL alone: one engine sized to the machine, as before. Several models: a registry
  // creating each model's engine through one loader, all sharing one compute budget (lanes × threads
  // = the cores), so that the loaded models together never over-subscribe the cores.
  const reranker = specs
    ? undefined
    : backends().then((found) =>
        createReranker({ env, logger: engineLogger(logger), backends: metrics.instrument(found) }),
      );
  const models = specs
    ? ModelRegistry.of(
        specs,
        rerankerLoader({
          env,
          logger: engineLogger(logger),
          backends,
          metrics,
          computeBudget: createComputeBudget(),
        }),
        config.defaultModel,
        {
          logger: engineLogger(logger),
          warmup: config.warmupOnStart,
          loadWaitMs: engine.queueTimeoutMs,
          idleUnloadMs: config.modelIdleUnloadMs,
          memoryBudgetBytes: config.modelMemoryBudgetBytes,
          global: {
            maxParallel: engine.maxParallel,
            maxQueue: engine.maxQueue,
            queueTimeoutMs: engine.queueTimeoutMs,
          },
        },
      )
    : undefined;
  let port = config.port;
  // In distributed mode the server announces itself in Redis, for GET /cluster and the /health count.
  const registry = engine.distributed
    ? createServerRegistry({
        url: engine.redisUrl,
        keyPrefix: engine.redisKeyPrefix,
        timeoutMs: engine.redisTimeoutMs,
        logger: engineLogger(logger),
        describe: () => describeServer(app.service, metrics, { host: config.host, port }),
      })
    : undefined;
  // Cluster-wide limits on top of the local queue; a request waits for a lease as long as it could
  // wait in the local queue, and as many may wait.
  const limits =
    engine.distributed && (engine.globalMaxParallel > 0 || engine.globalRateLimitRps > 0)
      ? createGlobalLimits({
          url: engine.redisUrl,
          keyPrefix: engine.redisKeyPrefix,
          timeoutMs: engine.redisTimeoutMs,
          maxParallel: engine.globalMaxParallel,
          leaseTtlMs: engine.globalLeaseTtlMs,
          rateLimitRps: engine.globalRateLimitRps,
          waitMs: engine.queueTimeoutMs,
          maxWaiting: engine.maxQueue,
          logger: engineLogger(logger),
        })
      : undefined;
  if (!engine.distributed && (engine.globalMaxParallel > 0 || engine.globalRateLimitRps > 0)) {
    logger.warn('GLOBAL_MAX_PARALLEL and GLOBAL_RATE_LIMIT_RPS need ENABLE_DISTRIBUTED=true; ignored');
  }
  const app = createApp({ reranker, models, config, logger, metrics, engine, registry, limits });
  const server = createServer(app, config).listen(config.port, config.host);
  server.once('error', (error) => {
    logger.fatal({ err: error }, `cannot listen on ${config.host}:${config.port}: ${errorMessage(error)}`);
    process.exit(1);
  });
  server.once('listening', () => {
    port = (server.address() as AddressInfo).port;
    void registry?.start();
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    logger.info({ host: config.host, port }, `listening on http://${host}:${port}`);
  });
  onShutdownSignals({ server, service: app.service, logger, timeoutMs: config.shutdownTimeoutMs });
  try {
    await app.service.ready;
    if (app.service.phase !== 'ready') return;
    const info = app.service.info;
    const served = app.service.models.entries.map((e) => `${e.name} (${e.state})`).join(', ');
    logger.info(
      info
        ? {
            model: info.model,
            source: info.source,
            backend: info.backend,
            device: info.device,
            dtype: info.dtype,
          }
        : {},
      app.service.models.multi ? `ready: ${served}` : 'ready',
    );
  } catch (error) {
    const code = isRerankerError(error) ? error.code : 'INTERNAL';
    logger.fatal({ code }, 'exiting: the model could not start (see the error above)');
    logger.flush?.();
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(errorMessage(error));
  process.exit(1);
});
