// Redis for the cluster tests: a unique key prefix on the shared Redis (removed afterwards), or a
// private redis-server child on a free port that a test may kill and restart on the same port.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { poll } from './http';

/** The Redis every helper shares (see /tmp/common.md); tests keep to their own prefix on it. */
export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

export function uniquePrefix(name: string): string {
  return `cluster-test:${name}:${randomUUID()}:`;
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function redisCli(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-p', String(port), ...args], (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

/** How many keys match `pattern` (a Redis glob), e.g. the claims under a prefix. */
export async function countKeys(port: number, pattern: string): Promise<number> {
  return (await redisCli(port, ['--scan', '--pattern', pattern])).split('\n').filter(Boolean).length;
}

/** Deletes every key under `prefix` (cache entries, claims, registry entries). */
export async function clearPrefix(port: number, prefix: string): Promise<void> {
  const keys = (await redisCli(port, ['--scan', '--pattern', `${prefix}*`])).split('\n').filter(Boolean);
  for (let i = 0; i < keys.length; i += 500) await redisCli(port, ['unlink', ...keys.slice(i, i + 500)]);
}

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL: no goodbye to clients) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty (no persistence), and waits for PING. */
  restart(): Promise<void>;
  running(): boolean;
}

/** A redis-server child on a free port, without persistence, for tests that take Redis down. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';
  const launch = async () => {
    output = '';
    const started = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    started.stdout?.on('data', (chunk) => (output += chunk));
    started.stderr?.on('data', (chunk) => (output += chunk));
    started.on('error', (error) => (output += String(error)));
    await poll(
      async () => {
        if (started.exitCode !== null) throw new Error(`redis-server exited on port ${port}:\n${output}`);
        return (await redisCli(port, ['ping']).catch(() => '')).trim() === 'PONG' ? true : undefined;
      },
      `redis-server on port ${port} to answer PING`,
      15_000,
    );
  };
  const kill = async () => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = once(current, 'exit');
    current.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: launch,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
  };
}

/** Stops a private Redis for afterAll, whatever state the test left it in. */
export async function stopPrivateRedis(redis: PrivateRedis | undefined): Promise<void> {
  await redis?.kill();
}
