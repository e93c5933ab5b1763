import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReranker } from '@reranker/node';
import { createApp, createLogger, ServerMetrics, serverConfig } from '@reranker/server';

/** The reranker-server app in this process on 127.0.0.1:<free port>, over the given model folder. */
export async function startServer(model: string): Promise<{
  url: string;
  reranker: Awaited<ReturnType<typeof createReranker>>;
  close(): Promise<void>;
}> {
  const reranker = await createReranker({ model, env: {}, progress: 'none' });
  const app = createApp({
    reranker,
    config: serverConfig({ warmupOnStart: false }),
    logger: createLogger('silent'),
    metrics: new ServerMetrics({ defaultMetrics: false }),
  });
  await app.service.ready;
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
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
