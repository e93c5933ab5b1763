// The processes of `reranker-bench cluster`: real server bins (as scripts/start_reranker.sh runs them),
// the shipped deploy/nginx.conf in front, and a private key prefix on the shared Redis.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RerankerError } from '@reranker/core';
import { CONFIG_VARIABLES } from '@reranker/node';
import { SERVER_VARIABLES } from '@reranker/server';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const NGINX_CONFIG = path.join(ROOT, 'deploy/nginx.conf');

/** A child process the run started, to stop whatever happens. */
export interface Stoppable {
  stop(): Promise<void>;
}

export interface ServerProcess extends Stoppable {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** What the server wrote so far (JSON log lines). */
  logs(): string;
}

/** Calls `probe` until it returns something other than undefined; throws after `ms`. */
export async function poll<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** SIGTERM (the server drains), SIGKILL after `graceMs`; resolves once the child is gone. */
async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** The error and fatal log lines (and anything not JSON) of a server's output, else its tail. */
function problems(output: string): string {
  const lines = output.split('\n').filter((line) => line.trim() !== '' && !/^\{"level":[1-4]\d,/.test(line));
  return (lines.join('\n') || output).slice(-4000);
}

/** Starts one server bin on a free port (PORT=0) with `env` on top of a scrubbed environment; waits for /readyz. */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  // The caller's shell must not change what is measured: every variable the server reads is ours.
  for (const spec of [...SERVER_VARIABLES, ...CONFIG_VARIABLES]) delete childEnv[spec.variable];
  Object.assign(childEnv, { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env });
  const child = spawn(
    process.execPath,
    ['--conditions=@reranker/source', '--import', 'tsx', 'packages/server/src/bin.ts'],
    { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  // Info level for the "listening on" line; a long run logs every request, so only the tail is kept.
  const append = (chunk: Buffer) => {
    output += chunk;
    if (output.length > 1_000_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const server = {
    pid: child.pid ?? -1,
    port: 0,
    get url() {
      return `http://127.0.0.1:${this.port}`;
    },
    logs: () => output,
    stop: () => terminate(child, 10_000),
  };
  try {
    const alive = () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new RerankerError('MODEL_LOAD_FAILED', `a server exited during startup:\n${problems(output)}`);
      }
    };
    server.port = Number(
      await poll(
        () => {
          alive();
          return /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
        },
        'a server to listen',
        120_000,
      ),
    );
    await poll(
      async () => {
        alive();
        const response = await fetch(`${server.url}/readyz`).catch(() => undefined);
        return response?.status === 200 ? true : undefined;
      },
      `${server.url}/readyz to answer 200`,
      120_000,
    );
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/**
 * deploy/nginx.conf listening on `listenPort`, its upstream holding one line per port in `ports`, each
 * with the options of the shipped first line (max_fails, fail_timeout): the tested config is the deployed one.
 */
export function renderNginxConfig(template: string, listenPort: number, ports: readonly number[]): string {
  const block = /upstream reranker \{[^}]*\}/.exec(template)?.[0];
  const lines = block?.match(/^[ \t]*server 127\.0\.0\.1:\d+[^;\n]*;\n/gm) ?? [];
  if (!block || lines.length === 0 || template.split('listen 8080;').length !== 2) {
    throw new Error('deploy/nginx.conf no longer has "listen 8080;" and an "upstream reranker" with servers');
  }
  const servers = ports.map((port) => lines[0]!.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`)).join('');
  const upstream = lines.reduce((text, line, i) => text.replace(line, i === 0 ? servers : ''), block);
  return template.replace(block, upstream).replace('listen 8080;', `listen 127.0.0.1:${listenPort};`);
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

// Debian installs nginx in /usr/sbin, which is not on every user's PATH.
const NGINX =
  [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin']
    .filter((dir) => dir !== '')
    .map((dir) => path.join(dir, 'nginx'))
    .find((file) => existsSync(file)) ?? 'nginx';

/** nginx unprivileged in a temp prefix, in front of `ports`; stop() is `nginx -s quit` and removes the prefix. */
export async function startNginx(ports: readonly number[]): Promise<Stoppable & { url: string }> {
  const prefix = await mkdtemp(path.join(tmpdir(), 'reranker-bench-nginx-'));
  await chmod(prefix, 0o755); // started as root, the workers run as nobody
  const config = path.join(prefix, 'nginx.conf');
  const listenPort = await freePort();
  await writeFile(config, renderNginxConfig(await readFile(NGINX_CONFIG, 'utf8'), listenPort, ports));
  const args = ['-c', config, '-p', `${prefix}/`, '-e', 'stderr'];
  let output = '';
  const child = spawn(NGINX, [...args, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr?.on('data', (chunk) => (output += chunk));
  child.on('error', (error) => (output += `${error} (install nginx, e.g. apt-get install nginx)`));
  const exited = once(child, 'exit').catch(() => undefined);
  const nginx = {
    url: `http://127.0.0.1:${listenPort}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        // Graceful quit lets the workers finish; SIGKILL only if it hangs.
        await new Promise((resolve) => execFile(NGINX, [...args, '-s', 'quit'], resolve));
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(prefix, { recursive: true, force: true });
    },
  };
  try {
    await poll(
      async () => {
        if (child.exitCode !== null || /ENOENT|emerg/.test(output))
          throw new Error(`nginx failed: ${output}`);
        return (await fetch(`${nginx.url}/health`).catch(() => undefined)) ? true : undefined;
      },
      `nginx to listen on ${listenPort}`,
      15_000,
    );
  } catch (error) {
    await nginx.stop();
    throw error;
  }
  return nginx;
}

function redisCli(url: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-u', url, ...args], (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args[0]} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

export async function redisPing(url: string): Promise<boolean> {
  return (await redisCli(url, ['ping']).catch(() => '')).trim() === 'PONG';
}

/** Deletes every key under `prefix` (SCAN, then DEL in chunks); returns how many there were. */
export async function deletePrefix(url: string, prefix: string): Promise<number> {
  const keys = (await redisCli(url, ['--scan', '--pattern', `${prefix}*`])).split('\n').filter(Boolean);
  for (let i = 0; i < keys.length; i += 500) await redisCli(url, ['del', ...keys.slice(i, i + 500)]);
  return keys.length;
}
