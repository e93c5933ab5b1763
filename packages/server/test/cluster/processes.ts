// Real server processes for the cluster tests, spawned as scripts/start_reranker.sh runs the bin
// (repository root, source condition, tsx), each lean (1 worker x 1 thread) so three fit on two cores.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { CONFIG_VARIABLES } from '@reranker/node';
import { synthesizedModelDir } from '@reranker/testkit';
import { afterEach } from 'vitest';
import { SERVER_VARIABLES } from '../../src/config';
import { poll } from './http';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = 'packages/server/src/bin.ts';

// Every variable the server reads: the caller's shell must not change what the test runs.
const SCRUBBED = [...SERVER_VARIABLES, ...CONFIG_VARIABLES].map((spec) => spec.variable);

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** Everything the server wrote so far (JSON log lines on stdout, anything else on stderr). */
  logs(): string;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
  /** SIGKILL, as `kill -9`: no drain, no registry removal, open connections reset. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful drain), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

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
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SCRUBBED) delete env[name];
  Object.assign(env, {
    RERANKER_MODEL: await synthesizedModelDir('tiny'), // synthesized model, random weights
    HOST: '127.0.0.1',
    PORT: '0',
    ENABLE_DISTRIBUTED: 'true',
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: options.keyPrefix,
    INFERENCE_WORKERS: '1',
    INFERENCE_THREADS: '1',
    WARMUP_ON_START: 'false',
    LOG_LEVEL: 'info',
    ...options.env,
  });
  const child = spawn(process.execPath, ['--conditions=@reranker/source', '--import', 'tsx', BIN], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);

  const terminate = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  let port = 0;
  const server: ServerProcess = {
    child,
    pid: child.pid ?? -1,
    get port() {
      return port;
    },
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    logs: () => output,
    exited,
    kill9: () => terminate('SIGKILL', 0),
    stop: (graceMs = 10_000) => terminate('SIGTERM', graceMs),
  };
  started.add(server);
  everyServer.push(server);
  void exited.then(() => started.delete(server));

  const failed = () => (child.exitCode !== null || child.signalCode !== null ? server : undefined);
  port = Number(
    await poll(
      () => {
        if (failed()) throw new Error(`server exited during startup:\n${output}`);
        return /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
      },
      `the server to listen (log so far:\n${output})`,
      60_000,
    ),
  );
  await poll(
    async () => {
      if (failed()) throw new Error(`server exited during startup:\n${output}`);
      const response = await fetch(`${server.url}/readyz`).catch(() => undefined);
      return response?.status === 200 ? true : undefined;
    },
    `${server.url}/readyz to answer 200`,
    60_000,
  );
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
