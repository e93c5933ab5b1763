import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';

/** How the fake hub misbehaves; change it between requests through `server.behaviour`. */
export interface HubBehaviour {
  /** Answer every request with this status (e.g. 500), or drop the connection without answering. */
  fail?: number | 'drop';
  /** Require `Authorization: Bearer <token>`; others get 401, as the hub does for gated repos. */
  requireToken?: string;
  /** Send bodies in chunks of this many bytes… @default whole body */
  chunkBytes?: number;
  /** …waiting this long between chunks (a slow link). @default 0 */
  chunkDelayMs?: number;
  /**
   * For this file, promise the full Content-Length but send only `bytes`, then cut the connection
   * (`cut`, the default) or leave it open with nothing more to come (`hang`).
   */
  truncate?: { file: string; bytes: number; ending?: 'cut' | 'hang' };
  /** Send `X-Repo-Commit: <commit>` with every file, as the hub does on its resolve answers. */
  commit?: string;
}

export interface HubServer {
  /** The endpoint to pass as `hubEndpoint`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  behaviour: HubBehaviour;
  /** Requests seen per URL path (`/owner/name/resolve/main/config.json`). */
  requests: Map<string, number>;
  totalRequests(): number;
  resetCounts(): void;
  close(): Promise<void>;
}

/**
 * A stand-in for the Hugging Face hub on 127.0.0.1: serves model folders in the hub's URL layout
 * `/<owner>/<name>/resolve/<revision>/<file>` and answers 404 for anything else.
 * `models` maps hub ids to folders; only `revision` is served.
 */
export async function startHubServer(
  models: Record<string, string>,
  options: { revision?: string; behaviour?: HubBehaviour } = {},
): Promise<HubServer> {
  const revision = options.revision ?? 'main';
  const requests = new Map<string, number>();
  const state: { behaviour: HubBehaviour } = { behaviour: options.behaviour ?? {} };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const behaviour = state.behaviour;
    if (behaviour.fail === 'drop') return req.socket.destroy();
    if (behaviour.fail !== undefined) return end(res, behaviour.fail, 'failing on purpose');
    if (behaviour.requireToken && req.headers.authorization !== `Bearer ${behaviour.requireToken}`) {
      return end(res, 401, 'Invalid credentials in Authorization header');
    }
    const match = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const dir = match ? models[`${match[1]}/${match[2]}`] : undefined;
    if (!match || !dir || decodeURIComponent(match[3]!) !== revision) return end(res, 404, 'Entry not found');
    const file = decodeURIComponent(match[4]!);
    const full = normalize(join(dir, file));
    const info = await stat(full).catch(() => undefined);
    if (!full.startsWith(dir + sep) || !info?.isFile()) return end(res, 404, 'Entry not found');
    const body = await readFile(full);
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': body.length,
      ...(behaviour.commit && { 'x-repo-commit': behaviour.commit }),
    });
    const cut = behaviour.truncate?.file === file ? behaviour.truncate.bytes : undefined;
    const sent = cut === undefined ? body : body.subarray(0, cut);
    const step = behaviour.chunkBytes ?? sent.length;
    for (let at = 0; at < sent.length; at += step) {
      res.write(sent.subarray(at, at + step));
      if (behaviour.chunkDelayMs) await new Promise((r) => setTimeout(r, behaviour.chunkDelayMs));
    }
    if (cut !== undefined && behaviour.truncate?.ending === 'hang') return;
    if (cut !== undefined) {
      // Let the partial body reach the client before the connection dies mid-response.
      await new Promise((r) => setTimeout(r, 20));
      return req.socket.destroy();
    }
    res.end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => end(res, 500, String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(next) {
      state.behaviour = next;
    },
    requests,
    totalRequests: () => [...requests.values()].reduce((a, b) => a + b, 0),
    resetCounts: () => requests.clear(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function end(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'text/plain' }).end(message);
}

/** An endpoint where nothing listens (connection refused), for "the hub is down". */
export async function unreachableEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
