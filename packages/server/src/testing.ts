import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UnifiedReRanker } from '@reranker/core';
import { type CreateRerankerOptions, createReranker } from '@reranker/node';
import { createApp, type RerankerApp } from './app';
import { type ServerConfig, serverConfig } from './config';
import { createServer } from './http-server';
import { createLogger } from './logger';
import { ServerMetrics } from './metrics/prometheus';

/** A reranker-server started by {@link startTestServer}. */
export interface TestServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** The engine the server runs, to compare in-process results with the server's. */
  reranker: UnifiedReRanker;
  app: RerankerApp;
  /** Closes open connections and the listener, then frees the engine. */
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Server settings over the defaults (no environment is read). @default { warmupOnStart: false } */
  config?: Partial<ServerConfig>;
  /** Engine options beside the model (no environment is read). @default {} */
  engine?: Omit<CreateRerankerOptions, 'model' | 'env' | 'progress'>;
}

/**
 * A reranker-server over the model folder or hub id `model`, in this process on 127.0.0.1 at a free
 * port, for integration tests of clients and adapters: silent logs, no default process metrics, no
 * environment variables read. Resolves once the model is loaded.
 *
 * @example
 * const server = await startTestServer('./.models/tiny');
 * // … point a client at server.url …
 * await server.close();
 */
export async function startTestServer(model: string, options: TestServerOptions = {}): Promise<TestServer> {
  const reranker = await createReranker({ ...options.engine, model, env: {}, progress: 'none' });
  const config = serverConfig({ warmupOnStart: false, ...options.config });
  const app = createApp({
    reranker,
    config,
    logger: createLogger('silent'),
    metrics: new ServerMetrics({ defaultMetrics: false }),
  });
  await app.service.ready;
  const server = await new Promise<Server>((resolve) => {
    const s = createServer(app, config).listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reranker,
    app,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await reranker.dispose();
    },
  };
}
