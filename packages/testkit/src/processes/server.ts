// The server bin as a real child process, started as scripts/start_reranker.sh runs it (repository
// root, the source condition, tsx): the cluster tests of @reranker/server and `reranker-bench cluster`.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { hasExited, poll, stopChild } from './wait';

/** The repository root (the testkit is private: it always runs from a checkout). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = 'packages/server/src/bin.ts';

export interface ServerProcessOptions {
  /** Variables set on top of the inherited environment (HOST and PORT are set already). */
  env: Record<string, string>;
  /**
   * Variables removed from the inherited environment first: every variable the server reads
   * (`SERVER_VARIABLES` and `CONFIG_VARIABLES`), so the caller's shell cannot change what runs.
   */
  scrub: readonly string[];
  /** How long the server may take to listen, and then to answer /readyz 200. @default 120000 */
  startupTimeoutMs?: number;
  /** Keep about this many characters of output (a long run logs every request). @default all of it */
  keepLogChars?: number;
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The port it listens on (it binds PORT=0, the OS picks). */
  readonly port: number;
  readonly url: string;
  /** Everything the server wrote so far (JSON log lines on stdout, anything else on stderr). */
  logs(): string;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
  /** SIGKILL, as `kill -9`: no drain, no registry removal, open connections reset. */
  kill9(): Promise<void>;
  /** SIGTERM (the server drains), SIGKILL after `graceMs`. @default graceMs 10000 */
  stop(graceMs?: number): Promise<void>;
}

/** Starts one server bin on 127.0.0.1 with PORT=0 and waits for /readyz 200; stops it if that fails. */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of options.scrub) delete env[name];
  Object.assign(env, { HOST: '127.0.0.1', PORT: '0', ...options.env });
  const child = spawn(process.execPath, ['--conditions=@reranker/source', '--import', 'tsx', BIN], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = options.keepLogChars ?? Number.POSITIVE_INFINITY;
  const append = (chunk: Buffer) => {
    output += chunk;
    if (output.length > keep * 10) output = output.slice(-keep);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
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
    kill9: () => stopChild(child, 'SIGKILL', 0),
    stop: (graceMs = 10_000) => stopChild(child, 'SIGTERM', graceMs),
  };
  const timeout = options.startupTimeoutMs ?? 120_000;
  const alive = () => {
    if (hasExited(child)) throw new Error(`a server exited during startup:\n${problems(output)}`);
  };
  try {
    port = Number(
      await poll(
        () => {
          alive();
          return /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
        },
        'a server to listen',
        timeout,
      ),
    );
    await poll(
      async () => {
        alive();
        const response = await fetch(`${server.url}/readyz`).catch(() => undefined);
        return response?.status === 200 ? true : undefined;
      },
      `${server.url}/readyz to answer 200`,
      timeout,
    );
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** The warning, error and fatal lines of a server's output (and anything not JSON), else its tail. */
function problems(output: string): string {
  const lines = output.split('\n').filter((line) => line.trim() !== '' && !/^\{"level":[1-3]\d,/.test(line));
  return (lines.join('\n') || output).slice(-4000);
}
