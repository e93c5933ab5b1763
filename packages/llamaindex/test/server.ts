import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UnifiedReRanker } from '@reranker/core';
import { createReranker } from '@reranker/node';
import { createApp, createLogger, createServer, ServerMetrics, serverConfig } from '@reranker/server';

export interface TestServer {
  url: string;
  /** The engine the server runs, for in-process tests over the same model. */
  reranker: UnifiedReRanker;
  close(): Promise<void>;
}

/** A reranker-server over `model` in this process on 127.0.0.1:<free port>. */
export async function startServer(model: string): Promise<TestServer> {
  const reranker = await createReranker({ model, env: {}, progress: 'none' });
  const config = serverConfig({ warmupOnStart: false });
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
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await reranker.dispose();
    },
  };
}
