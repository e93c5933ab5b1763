// deploy/nginx.conf: nginx accepts it as a complete config, and in front of three stand-in servers
// (two always overloaded, one healthy) it forwards /rerank and retries the 503s on the next server.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, NGINX, NGINX_CONFIG } from '@reranker/testkit/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Backend {
  server: Server;
  port: number;
  hits: number;
  seen: { method?: string; url?: string; headers: IncomingHttpHeaders; bodyBytes: number }[];
}

/** A backend that answers every request with `status` (503s carry Retry-After like the real server). */
async function startBackend(status: number): Promise<Backend> {
  const backend: Backend = { server: createServer(), port: 0, hits: 0, seen: [] };
  backend.server.on('request', (req, res) => {
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
    req.on('end', () => {
      backend.hits++;
      backend.seen.push({ method: req.method, url: req.url, headers: req.headers, bodyBytes });
      const headers = {
        'content-type': 'application/json',
        ...(status === 503 ? { 'retry-after': '1' } : {}),
      };
      res.writeHead(status, headers);
      res.end(JSON.stringify({ from: backend.port, status }));
    });
  });
  await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve));
  backend.port = (backend.server.address() as AddressInfo).port;
  return backend;
}

function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new Error(
            'nginx is not installed: install it (Debian/Ubuntu: sudo apt-get install -y nginx) to test deploy/nginx.conf',
          ),
        );
        return;
      }
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

/** Replaces `from` in the config, insisting it occurs exactly once, so a changed config fails loudly. */
function replaceOnce(text: string, from: string, to: string): string {
  const count = text.split(from).length - 1;
  if (count !== 1) throw new Error(`expected "${from}" once in deploy/nginx.conf, found it ${count} times`);
  return text.replace(from, to);
}

describe('deploy/nginx.conf', () => {
  let prefix: string;
  let nginx: ChildProcess | undefined;
  let nginxOutput = '';
  let port: number;
  let overloadedA: Backend;
  let healthy: Backend;
  let overloadedB: Backend;
  const url = (route: string) => `http://127.0.0.1:${port}${route}`;

  // A setup failure (nginx missing above all) fails every test with its message rather than skipping them.
  let setupError: unknown;
  const ready = () => {
    if (setupError) throw setupError;
  };

  beforeAll(async () => {
    try {
      await setUp();
    } catch (error) {
      setupError = error;
    }
  });

  async function setUp() {
    await run(NGINX, ['-v']); // fails with the install hint when nginx is missing
    prefix = await mkdtemp(path.join(tmpdir(), 'reranker-nginx-'));
    // When the tests run as root, nginx workers run as nobody and must reach the prefix.
    await chmod(prefix, 0o755);
    const started = await Promise.all([503, 200, 503].map(startBackend));
    [overloadedA, healthy, overloadedB] = [started[0]!, started[1]!, started[2]!];
    port = await freePort();
    let config = await readFile(NGINX_CONFIG, 'utf8');
    config = replaceOnce(config, 'listen 8080;', `listen 127.0.0.1:${port};`);
    config = replaceOnce(config, '127.0.0.1:8000 ', `127.0.0.1:${overloadedA.port} `);
    config = replaceOnce(config, '127.0.0.1:8001 ', `127.0.0.1:${healthy.port} `);
    config = replaceOnce(config, '127.0.0.1:8002 ', `127.0.0.1:${overloadedB.port} `);
    const testConfig = path.join(prefix, 'nginx.conf');
    await writeFile(testConfig, config);
    nginx = spawn(NGINX, ['-c', testConfig, '-p', `${prefix}/`, '-e', 'stderr', '-g', 'daemon off;'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    nginx.stdout?.on('data', (d) => (nginxOutput += d));
    nginx.stderr?.on('data', (d) => (nginxOutput += d));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (nginx.exitCode !== null) throw new Error(`nginx exited with ${nginx.exitCode}: ${nginxOutput}`);
      const answered = await fetch(url('/health')).then(
        () => true,
        () => false,
      );
      if (answered) break;
      if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}: ${nginxOutput}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx?.once('exit', resolve));
      nginx.kill('SIGTERM');
      await exited;
    }
    for (const backend of [overloadedA, healthy, overloadedB]) {
      if (backend?.server.listening) await new Promise((resolve) => backend.server.close(resolve));
    }
    if (prefix) await rm(prefix, { recursive: true, force: true });
  });

  it('passes nginx -t as a complete config under any prefix', async () => {
    ready();
    const testPrefix = await mkdtemp(path.join(tmpdir(), 'reranker-nginx-t-'));
    try {
      const { code, output } = await run(NGINX, [
        '-t',
        '-c',
        NGINX_CONFIG,
        '-p',
        `${testPrefix}/`,
        '-e',
        'stderr',
      ]);
      expect(output).toContain('test is successful');
      expect(code).toBe(0);
    } finally {
      await rm(testPrefix, { recursive: true, force: true });
    }
  });

  it('forwards POST /rerank and retries 503s on the next server, so every client gets 200', async () => {
    ready();
    const body = JSON.stringify({ query: 'q', documents: ['a', 'b'] });
    for (let i = 0; i < 6; i++) {
      const response = await fetch(url('/rerank'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': `nginx-test-${i}` },
        body,
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ from: healthy.port, status: 200 });
    }
    // The overloaded servers were tried (then retried past), not merely skipped by chance.
    expect(overloadedA.hits + overloadedB.hits).toBeGreaterThan(0);
    const forwarded = healthy.seen.filter((s) => s.url === '/rerank');
    expect(forwarded).toHaveLength(6);
    expect(forwarded.map((s) => s.method)).toEqual(Array(6).fill('POST'));
    expect(forwarded.map((s) => s.bodyBytes)).toEqual(Array(6).fill(Buffer.byteLength(body)));
    expect(forwarded.map((s) => s.headers['x-request-id'])).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => `nginx-test-${i}`),
    );
    const log = await readFile(path.join(prefix, 'access.log'), 'utf8');
    expect(log).toMatch(/"upstream_status":"503, (503, )?200"/);
  });

  it('makes up a request id when the client sends none', async () => {
    ready();
    const before = healthy.seen.length;
    const response = await fetch(url('/rerank'), { method: 'POST', body: '{}' });
    expect(response.status).toBe(200);
    expect(healthy.seen[before]?.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('routes /health and /metrics to the servers', async () => {
    ready();
    for (const route of ['/health', '/metrics']) {
      const before = healthy.seen.length;
      const response = await fetch(url(route));
      expect(response.status).toBe(200);
      expect(healthy.seen.slice(before).map((s) => s.url)).toContain(route);
    }
  });

  it('rejects bodies over 2 MB itself', async () => {
    ready();
    const before = healthy.hits + overloadedA.hits + overloadedB.hits;
    const response = await fetch(url('/rerank'), { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024 + 1) });
    expect(response.status).toBe(413);
    expect(healthy.hits + overloadedA.hits + overloadedB.hits).toBe(before);
  });

  // Last: it takes the healthy backend down.
  it('answers 503 + Retry-After, not 502, when no server is left to try', async () => {
    ready();
    healthy.server.closeAllConnections();
    await new Promise((resolve) => healthy.server.close(resolve));
    const response = await fetch(url('/rerank'), { method: 'POST', body: '{}' });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.json()).toEqual(expect.objectContaining({ error_type: 'Overloaded' }));
  });
});
