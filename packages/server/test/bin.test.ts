import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { CONFIG_VARIABLES } from '@reranker/node';
import { synthesizedModelDir } from '@reranker/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { SERVER_VARIABLES } from '../src/config';
import { get, post } from './helpers';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = 'packages/server/src/bin.ts';
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Runs the bin as the start script does (from the repo root, source condition, tsx). */
function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--conditions=@reranker/source', '--import', 'tsx', BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('reranker-server bin', () => {
  it('--help lists every variable', async () => {
    const cli = run(['--help']);
    expect(await cli.exited).toBe(0);
    for (const { variable } of [...SERVER_VARIABLES, ...CONFIG_VARIABLES])
      expect(cli.stdout()).toContain(variable);
    expect(cli.stdout()).toContain('--port <value>');
    expect(cli.stdout()).toContain('--model <value>');
  });

  it('fails fast on a bad variable, naming it', async () => {
    const cli = run([], { PORT: 'eighty' });
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toContain('PORT="eighty"');
  });

  it('serves, then drains in-flight requests on SIGTERM and exits 0', async () => {
    const model = await synthesizedModelDir('tiny');
    const cli = run(['--port', '0', '--model', model, '--max-parallel-requests', '1'], {
      ENABLE_PREDICTION_CACHE: 'false',
      SHUTDOWN_TIMEOUT_SECONDS: '60',
      WARMUP_ON_START: 'true',
    });
    const port = await until(
      () => /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(cli.stdout())?.[1],
      'listening',
    );
    const url = `http://127.0.0.1:${port}`;
    await until(async () => ((await get(`${url}/health`)).status === 200 ? true : undefined), '/health 200');

    // Two slow requests (hundreds of full-length pairs each): one runs, one waits for the slot.
    const documents = (tag: string) =>
      Array.from({ length: 400 }, (_, i) => `${tag} ${i} ${'sun water panel cell river '.repeat(60)}`);
    const first = post(`${url}/rerank`, { query: 'solar power', documents: documents('first'), top_k: 3 });
    const second = post(`${url}/v2/rerank`, {
      query: 'solar power',
      documents: documents('second'),
      top_n: 2,
    });
    await until(async () => {
      const { body } = await get(`${url}/health`);
      return body.controller.active === 1 && body.controller.waiting === 1 ? true : undefined;
    }, 'both requests in flight');

    cli.child.kill('SIGTERM');
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, a.body.results.length]).toEqual([200, 3]);
    expect([b.status, b.body.results.length]).toEqual([200, 2]);
    expect(await cli.exited).toBe(0);
    expect(cli.stdout()).toContain('SIGTERM received: draining');
    expect(cli.stdout()).toContain('shutdown complete');
    // New connections are refused once draining began.
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
