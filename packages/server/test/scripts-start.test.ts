// scripts/start_reranker.sh and scripts/performance_test.sh against the real server (packages/server/src/bin.ts)
// with the tiny synthesized model: two daemons side by side, status, refusal, a load run, graceful stop.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthesizedModelDir } from '@reranker/testkit';
import { freePort } from '@reranker/testkit/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const START = path.join(ROOT, 'scripts/start_reranker.sh');
const PERF = path.join(ROOT, 'scripts/performance_test.sh');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    // Run from a folder other than the repository: the scripts must find the repository themselves.
    execFile(script, args, { env, cwd: tmpdir(), timeout: 100_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('scripts/start_reranker.sh and scripts/performance_test.sh', () => {
  let runDir: string;
  let env: NodeJS.ProcessEnv;
  let portA: number;
  let portB: number;
  const pidFile = (port: number) => path.join(runDir, 'run', `reranker-${port}.pid`);
  const logFile = (port: number) => path.join(runDir, 'logs', `reranker-${port}.log`);
  const start = (args: string[], port?: number, extra: NodeJS.ProcessEnv = {}) =>
    run(START, args, { ...env, ...(port === undefined ? {} : { PORT: String(port) }), ...extra });

  beforeAll(async () => {
    runDir = await mkdtemp(path.join(tmpdir(), 'reranker-scripts-'));
    env = { ...process.env };
    // The caller's settings must not leak in: this is the real server with the test's own settings.
    for (const name of [
      'API_KEYS',
      'PORT',
      'HOST',
      'LOG_LEVEL',
      'METRICS_REQUIRE_AUTH',
      'RERANKER_SERVER_ENTRY',
    ])
      delete env[name];
    Object.assign(env, {
      RERANKER_MODEL: await synthesizedModelDir('tiny'),
      RERANKER_RUN_DIR: runDir,
      HOST: '127.0.0.1',
      INFERENCE_WORKERS: '1',
      RERANKER_START_TIMEOUT: '90',
      RERANKER_STOP_TIMEOUT: '30',
    });
    portA = await freePort();
    portB = await freePort();
  });

  afterAll(async () => {
    if (!runDir) return;
    for (const port of [portA, portB]) if (existsSync(pidFile(port))) await start(['stop'], port);
    await rm(runDir, { recursive: true, force: true });
  });

  it('starts two daemons side by side, each waiting for /health, and status shows both', async () => {
    const [a, b] = await Promise.all([start(['daemon'], portA), start(['daemon'], portB)]);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(a.stdout).toContain(`ready on port ${portA}`);
    expect(b.code).toBe(0);
    expect(b.stdout).toContain(`ready on port ${portB}`);
    for (const port of [portA, portB]) {
      const pid = Number(await readFile(pidFile(port), 'utf8'));
      expect(alive(pid)).toBe(true);
    }

    const status = await start(['status']); // no PORT: every instance with a PID file
    expect(status.code).toBe(0);
    for (const port of [portA, portB]) {
      expect(status.stdout).toContain(`port ${port}: running`);
      const line = status.stdout.split('\n').find((l) => l.includes(`:${port}/health -> `));
      const [code, ...json] = line!.split(' -> ')[1]!.split(' ');
      expect(code).toBe('200');
      const health = JSON.parse(json.join(' '));
      expect(health.status).toBe('healthy');
      expect(health.controller).toEqual(
        expect.objectContaining({ waiting: 0, active: 0, max_parallel: expect.any(Number) }),
      );
    }

    const logs = await start(['logs', '-n', '200'], portB);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain(`starting on 127.0.0.1:${portB}`);
    expect(logs.stdout).toMatch(/"level":30/); // the server's JSON lines land in the log
  });

  it('refuses a second instance on a port that is in use', async () => {
    const pidBefore = await readFile(pidFile(portA), 'utf8');
    const again = await start(['daemon'], portA);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`an instance already runs on port ${portA}`);
    expect(await readFile(pidFile(portA), 'utf8')).toBe(pidBefore);
  });

  it('performance_test.sh load 20 4 reports every figure with 100% success', async () => {
    const perf = await run(PERF, ['load', '20', '4'], { ...env, URL: `http://127.0.0.1:${portA}` });
    expect(perf.stderr).toBe('');
    expect(perf.code).toBe(0);
    const figure = (name: string) => {
      const match = perf.stdout.match(new RegExp(`^${name}: ([0-9.]+)`, 'm'));
      expect(match, `${name} in:\n${perf.stdout}`).not.toBeNull();
      return Number(match![1]);
    };
    expect(figure('total requests')).toBe(20);
    expect(figure('successful')).toBe(20);
    expect(perf.stdout).toMatch(/^success rate: 100\.00%$/m);
    const requestsPerSecond = figure('requests/s');
    expect(requestsPerSecond).toBeGreaterThan(0);
    // 20 documents per request by default.
    expect(figure('documents/s')).toBeCloseTo(requestsPerSecond * 20, -1);
    const [p50, p95, p99] = ['latency p50', 'latency p95', 'latency p99'].map(figure);
    expect(p50).toBeGreaterThan(0);
    expect(p95).toBeGreaterThanOrEqual(p50!);
    expect(p99).toBeGreaterThanOrEqual(p95!);
    // Each request reached the server under its own request id.
    // The server logs asynchronously: give its last lines a moment to reach the file.
    let logged = 0;
    for (let tries = 0; tries < 50 && logged < 20; tries++) {
      if (tries > 0) await new Promise((r) => setTimeout(r, 100));
      logged = (await readFile(logFile(portA), 'utf8')).match(/perf-load-42-\d+/g)?.length ?? 0;
    }
    expect(logged).toBeGreaterThanOrEqual(20);
  });

  it('stop sends SIGTERM and returns after the graceful exit (code 0), leaving the other instance up', async () => {
    const pid = Number(await readFile(pidFile(portA), 'utf8'));
    const stop = await start(['stop'], portA);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain(`port ${portA}: stopped`);
    expect(stop.stdout + stop.stderr).not.toContain('SIGKILL');
    expect(alive(pid)).toBe(false);
    expect(existsSync(pidFile(portA))).toBe(false);
    expect(await readFile(logFile(portA), 'utf8')).toContain(`server on port ${portA} exited with code 0`);

    const other = await start(['status'], portB);
    expect(other.code).toBe(0);
    expect(other.stdout).toContain(`port ${portB}: running`);
    const gone = await start(['status'], portA);
    expect(gone.code).toBe(3);
    expect(gone.stdout).toContain(`port ${portA}: not running`);
  });

  it('detects and removes a stale PID file', async () => {
    // A pid that certainly ran and exited: this test process's own child.
    const dead = await new Promise<number>((resolve) => {
      const child = execFile(process.execPath, ['-e', '']);
      child.on('exit', () => resolve(child.pid!));
    });
    await writeFile(pidFile(portA), `${dead}\n`);
    const status = await start(['status'], portA);
    expect(status.code).toBe(3);
    expect(status.stderr).toContain('stale PID file');
    expect(existsSync(pidFile(portA))).toBe(false);
  });

  it('daemon fails with the log tail when the server exits during startup', async () => {
    const entry = path.join(runDir, 'crash.mjs');
    await writeFile(entry, "console.log('cannot load the model: config.json missing'); process.exit(3);\n");
    const crashed = await start(['daemon'], portA, { RERANKER_SERVER_ENTRY: entry });
    expect(crashed.code).toBe(1);
    expect(crashed.stderr).toContain('the server exited during startup');
    expect(crashed.stderr).toContain('cannot load the model: config.json missing');
    expect(crashed.stderr).toContain('exited with code 3');
    expect(existsSync(pidFile(portA))).toBe(false);
  });
});
