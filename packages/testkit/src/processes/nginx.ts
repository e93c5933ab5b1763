// A real nginx (unprivileged, in a temp prefix) running the shipped deploy/nginx.conf with only its
// listen address and upstream ports swapped, so what is tested and measured is the deployed config.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './server';
import { freePort, hasExited, poll, stopChild } from './wait';

export const NGINX_CONFIG = path.join(REPO_ROOT, 'deploy/nginx.conf');

/** The nginx binary: Debian installs it in /usr/sbin, which is not on every user's PATH. */
export const NGINX =
  [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin']
    .filter((dir) => dir !== '')
    .map((dir) => path.join(dir, 'nginx'))
    .find((file) => existsSync(file)) ?? 'nginx';

/**
 * deploy/nginx.conf listening on `listenPort`, its upstream holding one line per port in `ports`, each
 * with the options of the shipped first line (max_fails, fail_timeout). Throws when the config no
 * longer has `listen 8080;` once and an `upstream reranker` with servers, so a change fails loudly.
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

export interface Nginx {
  readonly url: string;
  /** The JSON access log (one line per request, `upstream_status` shows retries). */
  accessLog(): Promise<string>;
  /** Graceful quit (in-flight requests finish), SIGKILL after 10 s; removes the prefix. */
  stop(): Promise<void>;
}

/** nginx in the foreground in front of `ports`, on `listenPort` (default: a free one); waits until it answers. */
export async function startNginx(ports: readonly number[], listenPort?: number): Promise<Nginx> {
  const prefix = await mkdtemp(path.join(tmpdir(), 'reranker-nginx-'));
  await chmod(prefix, 0o755); // started as root, the workers run as nobody and must reach the prefix
  const config = path.join(prefix, 'nginx.conf');
  const port = listenPort ?? (await freePort());
  await writeFile(config, renderNginxConfig(await readFile(NGINX_CONFIG, 'utf8'), port, ports));
  let output = '';
  const child = spawn(NGINX, ['-c', config, '-p', `${prefix}/`, '-e', 'stderr', '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  child.on('error', (error) => (output += `${error} (install nginx, e.g. sudo apt-get install -y nginx)`));
  // events.once rejects on 'error' (nginx missing): the poll below reports that case.
  const exited = once(child, 'exit').catch(() => undefined);
  const url = `http://127.0.0.1:${port}`;
  const nginx: Nginx = {
    url,
    accessLog: () => readFile(path.join(prefix, 'access.log'), 'utf8'),
    async stop() {
      await stopChild(child, 'SIGQUIT', 10_000); // nginx's graceful shutdown
      await exited;
      await rm(prefix, { recursive: true, force: true });
    },
  };
  try {
    await poll(
      async () => {
        if (hasExited(child) || /ENOENT|emerg/.test(output)) throw new Error(`nginx failed: ${output}`);
        return (await fetch(`${url}/health`).catch(() => undefined)) ? true : undefined;
      },
      `nginx to listen on ${port}`,
      15_000,
    );
  } catch (error) {
    await nginx.stop();
    throw error;
  }
  return nginx;
}
