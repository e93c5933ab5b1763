// Real server processes for the cluster tests, spawned as scripts/start_reranker.sh runs the bin
// (repository root, source condition, tsx), each lean (1 worker x 1 thread) so three fit on two cores.
import { CONFIG_VARIABLES } from '@reranker/node';
import { synthesizedModelDir } from '@reranker/testkit';
import { type ServerProcess, startServerProcess } from '@reranker/testkit/processes';
import { afterEach } from 'vitest';
import { SERVER_VARIABLES } from '../../src/config';

export type { ServerProcess };

// Every variable the server reads: the caller's shell must not change what the test runs.
const SCRUBBED = [...SERVER_VARIABLES, ...CONFIG_VARIABLES].map((spec) => spec.variable);

export interface ServerOptions {
  redisUrl: string;
  keyPrefix: string;
  /** Extra variables, e.g. MAX_PARALLEL_REQUESTS. */
  env?: Record<string, string>;
}

// Every process any test started, so a failing test never leaves one behind (see stopAll).
const started = new Set<ServerProcess>();
// Every process of this file, dead or alive, for the logs of a failed test.
const everyServer: ServerProcess[] = [];

/** After a failed test, prints the last log lines of every server the file started. */
export function printLogsOnFailure(): void {
  afterEach((context) => {
    if (context.task.result?.state !== 'fail') return;
    for (const server of everyServer) {
      const lines = server.logs().trimEnd().split('\n').slice(-30);
      const tail = lines.map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line)).join('\n');
      console.error(`--- server pid ${server.pid} port ${server.port}, last log lines:\n${tail}`);
    }
  });
}

/** Starts one distributed server on a free port (PORT=0) and waits for /readyz 200. */
export async function startServer(options: ServerOptions): Promise<ServerProcess> {
  const server = await startServerProcess({
    scrub: SCRUBBED,
    startupTimeoutMs: 60_000,
    env: {
      RERANKER_MODEL: await synthesizedModelDir('tiny'), // synthesized model, random weights
      ENABLE_DISTRIBUTED: 'true',
      REDIS_URL: options.redisUrl,
      REDIS_KEY_PREFIX: options.keyPrefix,
      INFERENCE_WORKERS: '1',
      INFERENCE_THREADS: '1',
      WARMUP_ON_START: 'false',
      LOG_LEVEL: 'info',
      ...options.env,
    },
  });
  started.add(server);
  everyServer.push(server);
  void server.exited.then(() => started.delete(server));
  return server;
}

/** Starts `count` servers side by side on the same Redis and prefix. */
export async function startServers(count: number, options: ServerOptions): Promise<ServerProcess[]> {
  const results = await Promise.allSettled(Array.from({ length: count }, () => startServer(options)));
  const failure = results.find((r) => r.status === 'rejected');
  if (failure) {
    await stopAll();
    throw (failure as PromiseRejectedResult).reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<ServerProcess>).value);
}

/** Stops every server still running (for afterAll): SIGTERM, then SIGKILL after a short grace. */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((server) => server.stop(5_000)));
}
