import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maxAbsDiff, referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReranker, pythonBackend } from '../src/index';
import { type HubServer, startHubServer } from './helpers/hub-server';
import { warningLogger } from './helpers/line-logger';
import { DOCS, QUERY } from './helpers/pairs';
import { disposedAfterEach } from './helpers/workspace';

const open = disposedAfterEach();

async function make(options: Parameters<typeof createReranker>[0]) {
  const reranker = await createReranker({ env: {}, logger: warningLogger(), progress: 'none', ...options });
  open.push(reranker);
  return reranker;
}

describe('createReranker on onnxruntime-node', () => {
  it.each(['tiny', 'tiny-2label', 'tiny-xlmr'] as const)(
    '%s: a local folder reranks with the reference scores',
    async (preset) => {
      const dir = await synthesizedModelDir(preset);
      const reranker = await make({ model: dir });
      const results = await reranker.rerank(QUERY, DOCS);
      const expected = await referencePairScores(dir, QUERY, DOCS);
      const byIndex = [...results].sort((a, b) => a.index - b.index).map((r) => r.score);
      expect(maxAbsDiff(byIndex, expected)).toBeLessThan(1e-4);
      expect(results.map((r) => r.score)).toEqual([...byIndex].sort((a, b) => b - a));
      const info = await reranker.info();
      expect(info).toMatchObject({
        backend: 'onnxruntime-node',
        device: 'cpu',
        source: `local:${dir}`,
        dtype: 'fp32',
      });
    },
  );

  it("a pair's score does not depend on what shares its batch", async () => {
    const dir = await synthesizedModelDir('tiny');
    const reranker = await make({ model: dir, cacheEnabled: false, batchSize: 8, maxBatchTokens: 8192 });
    const target = 'Cobalt is used in strong permanent magnets.';
    const [alone] = await reranker.score([[QUERY, target]]);
    const long = 'magnet '.repeat(300);
    const mixed = await reranker.score([
      [QUERY, 'short'],
      [QUERY, long],
      [QUERY, target],
      [QUERY, 'iron'],
      [QUERY, `${long} and more`],
    ]);
    expect(Math.abs(mixed[2]! - alone!)).toBeLessThanOrEqual(1e-5);
  });

  it('USE_MLX=true on this machine falls back to onnxruntime with one warning', async () => {
    const warnings: string[] = [];
    const reranker = await make({
      model: await synthesizedModelDir('tiny'),
      env: { USE_MLX: 'true' },
      logger: warningLogger(warnings),
    });
    expect(
      warnings.filter((w) => w.startsWith('MLX not available, falling back to onnxruntime')),
    ).toHaveLength(1);
    expect((await reranker.info()).backend).toBe('onnxruntime-node');
  });

  it('forwards `instruction` to the engine: a cross-encoder refuses it (INVALID_CONFIG)', async () => {
    await expect(
      make({ model: await synthesizedModelDir('tiny'), instruction: 'Judge relevance.' }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/instruction/) });
  });

  it('a bad environment variable fails fast, naming it', async () => {
    await expect(make({ env: { RERANKER_DTYPE: 'fp8' } })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('RERANKER_DTYPE'),
    });
  });
});

describe('createReranker with a hub id', () => {
  let hub: HubServer;
  let cacheDir: string;
  beforeAll(async () => {
    hub = await startHubServer({ 'acme/tiny-reranker': await synthesizedModelDir('tiny') });
    cacheDir = await mkdtemp(join(tmpdir(), 'reranker-hub-cache-'));
  });
  afterAll(async () => {
    await hub.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('with the Python backend, a hub id also brings model.safetensors and scores with it', async () => {
    const reranker = await make({
      env: {
        HF_ENDPOINT: hub.url,
        RERANKER_CACHE_DIR: join(cacheDir, 'python'),
        RERANKER_MODEL: 'acme/tiny-reranker',
      },
      backends: [pythonBackend({ engine: 'numpy', python: '/usr/bin/python3' })],
    });
    expect((await reranker.info()).backend).toBe('python:numpy');
    const expected = await referencePairScores(await synthesizedModelDir('tiny'), QUERY, DOCS);
    const scores = await reranker.score(DOCS.map((d) => [QUERY, d] as const));
    expect(maxAbsDiff(scores, expected)).toBeLessThan(1e-4);
  });

  it('downloads once into the cache dir, then loads from it without any request', async () => {
    const hubEnv = {
      HF_ENDPOINT: hub.url,
      RERANKER_CACHE_DIR: cacheDir,
      RERANKER_MODEL: 'acme/tiny-reranker',
    };
    const first = await make({ env: hubEnv });
    expect((await first.info()).source).toBe('remote:acme/tiny-reranker');
    expect(hub.totalRequests()).toBeGreaterThan(0);
    const scores = await first.score([[QUERY, DOCS[0]!]]);
    hub.resetCounts();
    const second = await make({ env: hubEnv });
    expect(hub.totalRequests()).toBe(0);
    expect(await second.score([[QUERY, DOCS[0]!]])).toEqual(scores);
  });
});
