import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_VARIABLES } from '@reranker/node';
import { maxAbsDiff, referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { SERVER_VARIABLES } from '../src/config';
import { get, post } from './helpers';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = 'packages/server/src/bin.ts';
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

// The engine variables the bin reads: the caller's shell must not change what a test runs.
const SCRUBBED = CONFIG_VARIABLES.map((spec) => spec.variable);

/** Runs the bin as the start script does (from the repo root, source condition, tsx). */
function run(args: string[], env: Record<string, string> = {}) {
  const inherited = { ...process.env };
  for (const name of SCRUBBED) delete inherited[name];
  const child = spawn(process.execPath, ['--conditions=@reranker/source', '--import', 'tsx', BIN, ...args], {
    cwd: ROOT,
    env: { ...inherited, ...env },
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

  it('fails fast on a bad RERANKER_TEMPLATE_FILE, naming it', async () => {
    const cli = run([], { RERANKER_TEMPLATE_FILE: '/nonexistent/template.json' });
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toContain(
      'RERANKER_TEMPLATE_FILE=/nonexistent/template.json: the file cannot be read',
    );
  });

  it('refuses RERANKER_INSTRUCTION for a cross-encoder: exits 1 naming the variable', async () => {
    const model = await synthesizedModelDir('tiny');
    const cli = run(['--port', '0', '--model', model], { RERANKER_INSTRUCTION: 'Find answers' });
    expect(await cli.exited).toBe(1);
    expect(cli.stdout()).toMatch(/RERANKER_INSTRUCTION is set, but .* is a cross-encoder/);
  }, 60_000);

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
    // RERANKER_MODEL alone: no shared budget, the engine sizes itself to the machine as before.
    expect((await get(`${url}/health`)).body.compute_budget).toBeUndefined();

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

  it('RERANKER_MODELS: every model on onnxruntime shares one compute budget of the cores', async () => {
    const minilm = await synthesizedModelDir('tiny');
    const xlmr = await synthesizedModelDir('tiny-xlmr');
    const cli = run(['--port', '0'], {
      RERANKER_MODELS: `minilm=${minilm},xlmr=${xlmr}`,
      ENABLE_PREDICTION_CACHE: 'false',
    });
    const port = await until(
      () => /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(cli.stdout())?.[1],
      'listening',
    );
    const url = `http://127.0.0.1:${port}`;
    await until(async () => ((await get(`${url}/health`)).status === 200 ? true : undefined), '/health 200');
    const query = 'solar power';
    const documents = ['Panels turn sunlight into current.', 'Bread is baked at dawn.'];
    for (const [name, dir] of [
      ['minilm', minilm],
      ['xlmr', xlmr],
    ] as const) {
      const { status, body } = await post(`${url}/rerank`, { model: name, query, documents, top_k: 2 });
      expect(status).toBe(200);
      const expected = await referencePairScores(dir, query, documents);
      const got = [...body.results].sort((a, b) => a.index - b.index).map((r) => r.score);
      expect(maxAbsDiff(got, expected)).toBeLessThan(1e-4);
    }
    const budget = (await get(`${url}/health`)).body.compute_budget;
    expect(budget.lanes).toBeGreaterThanOrEqual(Math.min(2, availableParallelism()));
    expect(budget.lanes * budget.threads_per_lane).toBeLessThanOrEqual(availableParallelism());
    expect(Object.keys(budget.models).sort()).toEqual(['minilm', 'xlmr']);
    expect(budget.models.xlmr).toMatchObject({ weight: 1, in_use: 0, waiting: 0 });
    expect(budget.models.xlmr.granted).toBeGreaterThan(0);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  // USE_MLX=true on Linux must warn once and fall back; RERANKER_BACKEND=numpy makes the fallback the
  // Python worker on NumPy, run by the RERANKER_PYTHON given (a wrapper that leaves a mark).
  for (const via of ['environment', 'flags'] as const) {
    it(`honours USE_MLX, RERANKER_PYTHON and RERANKER_BACKEND given as ${via}`, async () => {
      const scratch = await mkdtemp(join(tmpdir(), 'reranker-bin-python-'));
      try {
        const mark = join(scratch, 'ran');
        const python = join(scratch, 'python');
        await writeFile(python, `#!/bin/sh\necho "$@" >> '${mark}'\nexec /usr/bin/python3 "$@"\n`);
        await chmod(python, 0o755);
        const model = await synthesizedModelDir('tiny');
        const selection = { USE_MLX: 'true', RERANKER_PYTHON: python, RERANKER_BACKEND: 'numpy' };
        const cli =
          via === 'environment'
            ? run(['--port', '0', '--model', model], { ...selection, ENABLE_PREDICTION_CACHE: 'false' })
            : run(
                [
                  '--port',
                  '0',
                  '--model',
                  model,
                  '--use-mlx',
                  'true',
                  '--python',
                  python,
                  '--backend',
                  'numpy',
                ],
                { ENABLE_PREDICTION_CACHE: 'false' },
              );
        const port = await until(
          () => /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(cli.stdout())?.[1],
          'listening',
        );
        const url = `http://127.0.0.1:${port}`;
        await until(
          async () => ((await get(`${url}/health`)).status === 200 ? true : undefined),
          `/health 200 (log: ${cli.stdout()}${cli.stderr()})`,
          60_000,
        );

        const warnings = cli
          .stdout()
          .split('\n')
          .filter((line) => line.includes('MLX not available'));
        expect(warnings).toHaveLength(1);
        expect(JSON.parse(warnings[0]!)).toMatchObject({
          level: 40,
          msg: expect.stringMatching(/^MLX not available, falling back to python:numpy \(MLX needs macOS/),
        });
        expect((await get(`${url}/info`)).body).toMatchObject({ backend: 'python:numpy', device: 'cpu' });
        expect((await get(`${url}/health`)).body.model.backend).toBe('python:numpy');
        expect(await readFile(mark, 'utf8')).toContain('--engine numpy');

        // The NumPy worker's scores are the reference model's.
        const documents = ['Solar panels turn light into current.', 'Bananas are yellow.', 'Wind turbines.'];
        const response = await post(`${url}/rerank`, { query: 'solar power', documents });
        expect(response.status).toBe(200);
        const scores = [...response.body.results]
          .sort((a: { index: number }, b: { index: number }) => a.index - b.index)
          .map((r: { score: number }) => r.score);
        const expected = await referencePairScores(model, 'solar power', documents);
        expect(maxAbsDiff(scores, expected)).toBeLessThan(1e-4);
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    }, 90_000);
  }
});
