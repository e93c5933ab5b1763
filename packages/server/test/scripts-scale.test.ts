// scripts/start_reranker.sh scale N behind the real nginx (deploy/nginx.conf with its upstream read from
// the file the script writes), real servers on the tiny synthesized model: 1 -> 3 -> 2 under steady
// load without a failed request, and an instance killed with -9 leaves the upstream at the next
// regeneration.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthesizedModelDir } from '@reranker/testkit';
import { NGINX, NGINX_CONFIG, poll, renderNginxConfig, stopChild } from '@reranker/testkit/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const START = path.join(ROOT, 'scripts/start_reranker.sh');

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(START, args, { env, cwd: tmpdir(), timeout: 150_000 }, (error, stdout, stderr) => {
      resolve({
        code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
        output: stdout + stderr,
      });
    });
  });
}

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** The first of `count` consecutive free ports (the script puts instances on consecutive ports). */
async function consecutiveFreePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all(Array.from({ length: count + 1 }, (_, i) => canListen(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no consecutive free ports found');
}

describe('scripts/start_reranker.sh scale', () => {
  let runDir: string;
  let prefix: string;
  let nginx: ChildProcess | undefined;
  let nginxUrl: string;
  let base: number;
  let env: NodeJS.ProcessEnv;
  const upstreamFile = () => path.join(runDir, 'run', 'upstream.conf');
  const pidFile = (port: number) => path.join(runDir, 'run', `reranker-${port}.pid`);
  const upstreamPorts = async () =>
    [...(await readFile(upstreamFile(), 'utf8')).matchAll(/^server 127\.0\.0\.1:(\d+)/gm)].map((m) =>
      Number(m[1]),
    );

  beforeAll(async () => {
    runDir = await mkdtemp(path.join(tmpdir(), 'reranker-scale-'));
    prefix = await mkdtemp(path.join(tmpdir(), 'reranker-scale-nginx-'));
    await chmod(prefix, 0o755);
    base = await consecutiveFreePorts(3);
    env = { ...process.env };
    for (const name of ['API_KEYS', 'HOST', 'LOG_LEVEL', 'METRICS_REQUIRE_AUTH', 'ENABLE_DISTRIBUTED'])
      delete env[name];
    Object.assign(env, {
      RERANKER_MODEL: await synthesizedModelDir('tiny'),
      RERANKER_RUN_DIR: runDir,
      PORT: String(base),
      HOST: '127.0.0.1',
      INFERENCE_WORKERS: '1',
      WARMUP_ON_START: 'false',
      RERANKER_START_TIMEOUT: '90',
      RERANKER_STOP_TIMEOUT: '30',
    });
  }, 60_000);

  afterAll(async () => {
    if (nginx) await stopChild(nginx, 'SIGQUIT', 10_000);
    for (let port = base; port < base + 3; port++) {
      if (existsSync(pidFile(port))) await run(['stop'], { ...env, PORT: String(port) });
    }
    await rm(runDir, { recursive: true, force: true });
    await rm(prefix, { recursive: true, force: true });
  }, 120_000);

  it('scales 1 -> 3 -> 2 under steady load with no failed request; a killed instance leaves the upstream', async () => {
    const first = await run(['scale', '1'], env);
    expect(first.output).toContain('nginx upstream: 1 server(s)');
    expect(first.code).toBe(0);
    expect(await upstreamPorts()).toEqual([base]);

    // deploy/nginx.conf with its server lines replaced by an include of the script's file.
    const listen = await consecutiveFreePorts(1);
    const rendered = renderNginxConfig(await readFile(NGINX_CONFIG, 'utf8'), listen, [base]);
    const config = path.join(prefix, 'nginx.conf');
    await writeFile(
      config,
      rendered.replace(/^[ \t]*server 127\.0\.0\.1:\d+[^\n]*$/m, `    include ${upstreamFile()};`),
    );
    nginx = spawn(NGINX, ['-c', config, '-p', `${prefix}/`, '-e', 'stderr', '-g', 'daemon off;'], {
      stdio: 'ignore',
    });
    nginxUrl = `http://127.0.0.1:${listen}`;
    await poll(
      async () => ((await fetch(`${nginxUrl}/health`).catch(() => undefined))?.ok ? true : undefined),
      'nginx',
      15_000,
    );
    const scaling = { ...env, RERANKER_NGINX_CONF: config, RERANKER_NGINX_PREFIX: `${prefix}/` };

    // Steady load: two clients, one request after the other, until stopped.
    let running = true;
    const statuses: number[] = [];
    const errors: string[] = [];
    // A new connection per request: a reload closes nginx's idle keep-alive connections, and a
    // client that sends on one at that moment sees it closed (a client-side race, see deploy/README.md).
    const rerank = (payload: unknown) =>
      new Promise<number>((resolve) => {
        const headers = { 'content-type': 'application/json' };
        const req = request(`${nginxUrl}/rerank`, { method: 'POST', agent: false, headers }, (res) => {
          res.resume().on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', (error) => {
          errors.push(String(error));
          resolve(0);
        });
        req.end(JSON.stringify(payload));
      });
    const client = async () => {
      for (let i = 0; running; i++) {
        const documents = [`doc ${i} a`, `doc ${i} b ${Math.random()}`];
        statuses.push(await rerank({ query: 'what is scaling?', documents }));
      }
    };
    const clients = [client(), client()];

    const up = await run(['scale', '3'], scaling);
    expect(up.output).toContain('nginx reloaded');
    expect(up.code).toBe(0);
    expect(await upstreamPorts()).toEqual([base, base + 1, base + 2]);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const servedBy = new Set(
      (await readFile(path.join(prefix, 'access.log'), 'utf8')).match(/127\.0\.0\.1:\d+/g),
    );
    expect(servedBy.size).toBeGreaterThanOrEqual(2);

    const down = await run(['scale', '2'], scaling);
    expect(down.output).toContain(`port ${base + 2}: stopped`);
    expect(down.code).toBe(0);
    expect(await upstreamPorts()).toEqual([base, base + 1]);
    expect(existsSync(pidFile(base + 2))).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1000));

    running = false;
    await Promise.all(clients);
    expect(statuses.length).toBeGreaterThan(10);
    expect(errors).toEqual([]);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);

    // kill -9 the server process of base+1 (the child of its supervisor, whose pid the file holds).
    const supervisor = (await readFile(pidFile(base + 1), 'utf8')).trim();
    const server = execFileSync('ps', ['-o', 'pid=', '--ppid', supervisor], { encoding: 'utf8' }).trim();
    process.kill(Number(server.split('\n')[0]), 'SIGKILL');
    await poll(
      async () =>
        (await fetch(`http://127.0.0.1:${base + 1}/healthz`).catch(() => undefined)) ? undefined : true,
      'the killed server to go',
      10_000,
    );
    const again = await run(['upstream'], scaling);
    expect(again.code).toBe(0);
    expect(await upstreamPorts()).toEqual([base]);
    // New connections here too: `upstream` just reloaded nginx (see `rerank`).
    for (let i = 0; i < 5; i++) {
      expect(await rerank({ query: 'after the kill', documents: [`after ${i}`] })).toBe(200);
    }
    expect(errors).toEqual([]);
  }, 240_000);
});
