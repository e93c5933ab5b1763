import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';

export interface ModelServer {
  /** e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Every request path, in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Serves one model folder on 127.0.0.1 two ways: as a plain folder under `/models/tiny/` and in the
 * hub layout `/<owner>/<name>/resolve/main/<file>` (for any owner/name), as a static host and the
 * Hugging Face hub would. Anything else is 404.
 */
export async function serveModelFolder(dir: string): Promise<ModelServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const file =
      /^\/models\/tiny\/(.+)$/.exec(path)?.[1] ?? /^\/[^/]+\/[^/]+\/resolve\/main\/(.+)$/.exec(path)?.[1];
    const full = file === undefined ? undefined : normalize(join(dir, file));
    void (async () => {
      const info = full?.startsWith(dir + sep) ? await stat(full).catch(() => undefined) : undefined;
      if (!full || !info?.isFile()) return void res.writeHead(404).end('Not found');
      const body = await readFile(full);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    })().catch((error) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A minimal Cache API (open/match/put over Maps), standing in for the browser's `caches` under Node. */
export function fakeCacheStorage(): CacheStorage {
  const stores = new Map<string, Map<string, { body: ArrayBuffer; status: number }>>();
  const keyOf = (request: RequestInfo | URL) =>
    typeof request === 'string' ? request : request instanceof URL ? request.href : request.url;
  const open = async (name: string) => {
    const store = stores.get(name) ?? new Map();
    stores.set(name, store);
    return {
      async match(request: RequestInfo | URL) {
        const hit = store.get(keyOf(request));
        return hit ? new Response(hit.body.slice(0), { status: hit.status }) : undefined;
      },
      async put(request: RequestInfo | URL, response: Response) {
        store.set(keyOf(request), { body: await response.arrayBuffer(), status: response.status });
      },
    } as unknown as Cache;
  };
  return {
    open,
    has: async (name: string) => stores.has(name),
    delete: async (name: string) => stores.delete(name),
    keys: async () => [...stores.keys()],
    match: async () => undefined,
  } as unknown as CacheStorage;
}
