// Redis for tests and benchmarks: redis-cli calls on a URL, and a private redis-server child on a free
// port that a test may kill and restart on the same port.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { freePort, hasExited, poll, stopChild } from './wait';

/** Runs `redis-cli -u url ...args`; rejects with its stderr. */
export function redisCli(url: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-u', url, ...args], (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

/** Whether a Redis answers PING at `url` (false when redis-cli is missing too). */
export async function redisPing(url: string): Promise<boolean> {
  return (await redisCli(url, ['ping']).catch(() => '')).trim() === 'PONG';
}

/** Deletes every key under `prefix` (SCAN, then UNLINK in chunks); returns how many there were. */
export async function deletePrefix(url: string, prefix: string): Promise<number> {
  const keys = (await redisCli(url, ['--scan', '--pattern', `${prefix}*`])).split('\n').filter(Boolean);
  for (let i = 0; i < keys.length; i += 500) await redisCli(url, ['unlink', ...keys.slice(i, i + 500)]);
  return keys.length;
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
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const launch = async () => {
    let output = '';
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const started = spawn('redis-server', [...args, '--daemonize', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    started.stdout?.on('data', (chunk) => (output += chunk));
    started.stderr?.on('data', (chunk) => (output += chunk));
    started.on('error', (error) => (output += String(error)));
    await poll(
      async () => {
        if (hasExited(started)) throw new Error(`redis-server exited on port ${port}:\n${output}`);
        return (await redisPing(url)) ? true : undefined;
      },
      `redis-server on port ${port} to answer PING`,
      15_000,
    );
  };
  await launch();
  return {
    port,
    url,
    kill: async () => {
      if (child) await stopChild(child, 'SIGKILL', 0);
    },
    restart: launch,
    running: () => child !== undefined && !hasExited(child),
  };
}
