// A real nginx (unprivileged, in a temp prefix) running the shipped deploy/nginx.conf, with only its
// listen address and upstream ports swapped for the test's, so the tested config is the deployed one.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { poll } from './http';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const NGINX_CONFIG = path.join(ROOT, 'deploy/nginx.conf');

// Debian installs nginx in /usr/sbin, which is not on every user's PATH.
const NGINX =
  [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin']
    .filter((dir) => dir !== '')
    .map((dir) => path.join(dir, 'nginx'))
    .find((file) => existsSync(file)) ?? 'nginx';

/**
 * deploy/nginx.conf with `listen 8080;` on `listenPort` and the upstream's servers on `upstreamPorts`,
 * in order. Throws when the config no longer has exactly that shape, so a changed config fails loudly.
 */
export function renderNginxConfig(template: string, listenPort: number, upstreamPorts: number[]): string {
  const listens = template.split('listen 8080;').length - 1;
  if (listens !== 1) throw new Error(`expected "listen 8080;" once in deploy/nginx.conf, found ${listens}`);
  const block = /upstream reranker \{[^}]*\}/.exec(template);
  if (!block) throw new Error('no "upstream reranker { ... }" block in deploy/nginx.conf');
  const servers = block[0].match(/server 127\.0\.0\.1:\d+/g) ?? [];
  if (servers.length !== upstreamPorts.length) {
    throw new Error(
      `deploy/nginx.conf lists ${servers.length} upstream servers, the test runs ${upstreamPorts.length}`,
    );
  }
  let next = 0;
  const upstream = block[0].replace(
    /server 127\.0\.0\.1:\d+/g,
    () => `server 127.0.0.1:${upstreamPorts[next++]}`,
  );
  return template.replace(block[0], upstream).replace('listen 8080;', `listen 127.0.0.1:${listenPort};`);
}

export interface Nginx {
  readonly url: string;
  /** The JSON access log (one line per request, `upstream_status` shows retries). */
  accessLog(): Promise<string>;
  stop(): Promise<void>;
}

/** Runs nginx in the foreground on `listenPort` in front of `upstreamPorts`; waits until it answers. */
export async function startNginx(listenPort: number, upstreamPorts: number[]): Promise<Nginx> {
  const prefix = await mkdtemp(path.join(tmpdir(), 'reranker-cluster-nginx-'));
  // Running as root, nginx's workers run as nobody and must reach the prefix.
  await chmod(prefix, 0o755);
  const config = path.join(prefix, 'nginx.conf');
  await writeFile(config, renderNginxConfig(await readFile(NGINX_CONFIG, 'utf8'), listenPort, upstreamPorts));
  let output = '';
  let child: ChildProcess;
  try {
    child = spawn(NGINX, ['-c', config, '-p', `${prefix}/`, '-e', 'stderr', '-g', 'daemon off;'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    await rm(prefix, { recursive: true, force: true });
    throw error;
  }
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  child.on('error', (error) => (output += `${error} (install nginx: sudo apt-get install -y nginx)`));
  // events.once rejects on 'error' (nginx missing): that case is reported by the poll below.
  const exited = once(child, 'exit').catch(() => undefined);
  const url = `http://127.0.0.1:${listenPort}`;
  const nginx: Nginx = {
    url,
    accessLog: () => readFile(path.join(prefix, 'access.log'), 'utf8'),
    async stop() {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(prefix, { recursive: true, force: true });
    },
  };
  try {
    await poll(
      async () => {
        if (child.exitCode !== null || output.includes('ENOENT')) throw new Error(`nginx failed: ${output}`);
        return (await fetch(`${url}/health`).catch(() => undefined)) ? true : undefined;
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
