import { cp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRerankerError, type UnifiedReRanker } from '@reranker/core';
import { maxAbsDiff, referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CreateRerankerOptions, pythonBackend } from '../src/index';
import { rejection } from './helpers/assertions';
import { type HubServer, startHubServer } from './helpers/hub-server';
import { useWorkspace } from './helpers/workspace';

/**
 * Hub repos in the layouts real rerankers publish, served by the local hub stand-in: safetensors only
 * (single or sharded) get a graph built at load, an external-data export is downloaded whole, and a
 * pickle-only repo is refused with the fix. A second load makes no request and builds nothing.
 */

const QUERY = 'which metals are magnetic';
const DOCS = [
  'Iron, nickel and cobalt are ferromagnetic metals.',
  'The museum opens at nine on weekdays.',
  'Magnetite is a naturally magnetic iron oxide mineral found in many rocks around the world.',
];

const dirs: Record<string, string> = {};
const { dir: workDir, load: loadReranker } = useWorkspace('build-hub');
let hub: HubServer;

beforeAll(async () => {
  dirs['acme/st-only'] = await synthesizedModelDir('tiny-xlmr', { layout: { onnx: 'none' } });
  dirs['acme/sharded'] = await synthesizedModelDir('tiny', { layout: { onnx: 'none', shards: 2 } });
  dirs['acme/external'] = await synthesizedModelDir('tiny', { layout: { onnx: 'external-data' } });
  const pytorch = join(workDir(), 'pytorch-repo');
  await cp(dirs['acme/st-only'], pytorch, { recursive: true });
  await rm(join(pytorch, 'model.safetensors'));
  await writeFile(join(pytorch, 'pytorch_model.bin'), 'a pickle we never open');
  dirs['acme/pytorch'] = pytorch;
  const electra = join(workDir(), 'electra-repo');
  await cp(dirs['acme/st-only'], electra, { recursive: true });
  const config = JSON.parse(await readFile(join(electra, 'config.json'), 'utf8'));
  await writeFile(join(electra, 'config.json'), JSON.stringify({ ...config, model_type: 'electra' }));
  dirs['acme/electra'] = electra;
  hub = await startHubServer(dirs);
});
afterEach(() => hub.resetCounts());
afterAll(() => hub.close());

const load = (model: string, cacheDir: string, extra: CreateRerankerOptions = {}) =>
  loadReranker({ env: { HF_ENDPOINT: hub.url }, model, cacheDir, ...extra });

const path = (id: string, file: string) => `/${id}/resolve/main/${file}`;
const score = (r: UnifiedReRanker) => r.score(DOCS.map((d) => [QUERY, d] as const));

async function graphFolders(cacheDir: string): Promise<string[]> {
  const names = await readdir(join(cacheDir, 'graphs')).catch(() => []);
  return names.filter((name) => /^[0-9a-f]{32}$/.test(name));
}

describe('hub repos without an ONNX export', () => {
  it('safetensors only: downloads it, builds the graph once, and a second load makes no request and no build', async () => {
    const id = 'acme/st-only';
    const cacheDir = join(workDir(), 'st-only-cache');
    const first = await load(id, cacheDir);
    const expected = await referencePairScores(dirs[id]!, QUERY, DOCS);
    const scores = await score(first.reranker);
    expect(maxAbsDiff(scores, expected)).toBeLessThan(1e-5);
    expect((await first.reranker.info()).source).toBe(`remote:${id}`);
    expect(hub.requests.get(path(id, 'onnx/model.onnx'))).toBe(1); // the 404 that sends us to the weights
    expect(hub.requests.get(path(id, 'model.safetensors'))).toBe(1);
    expect(hub.requests.get(path(id, 'onnx/model.onnx_data'))).toBeUndefined();
    const [graph] = await graphFolders(cacheDir);
    const built = join(cacheDir, 'graphs', graph!, 'onnx', 'model.onnx');
    const builtAt = (await stat(built)).mtimeMs;

    hub.resetCounts();
    const second = await load(id, cacheDir);
    expect(hub.totalRequests()).toBe(0);
    expect(await score(second.reranker)).toEqual(scores);
    expect(second.logger.lines.filter((l) => /downloading|building|built the ONNX graph/.test(l))).toEqual(
      [],
    );
    expect((await stat(built)).mtimeMs).toBe(builtAt);
    expect(await graphFolders(cacheDir)).toEqual([graph]);

    const offline = await load(id, cacheDir, { offline: true });
    expect(maxAbsDiff(await score(offline.reranker), expected)).toBeLessThan(1e-5);
    expect(hub.totalRequests()).toBe(0);
  });

  it('sharded safetensors: downloads the index and every shard it names', async () => {
    const id = 'acme/sharded';
    const cacheDir = join(workDir(), 'sharded-cache');
    const { reranker } = await load(id, cacheDir);
    expect(maxAbsDiff(await score(reranker), await referencePairScores(dirs[id]!, QUERY, DOCS))).toBeLessThan(
      1e-5,
    );
    for (const file of [
      'model.safetensors.index.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ])
      expect(hub.requests.get(path(id, file)), file).toBe(1);
    expect(hub.requests.get(path(id, 'model.safetensors'))).toBe(1); // asked first, 404
  });

  it('refuses a repo with only pytorch_model.bin, naming the fix', async () => {
    const error = await rejection(load('acme/pytorch', join(workDir(), 'pytorch-cache')));
    expect(isRerankerError(error, 'MODEL_LOAD_FAILED')).toBe(true);
    expect(error.message).toContain('It has only pytorch_model.bin, which is never loaded');
    expect(error.message).toContain('safe_serialization=True');
    expect(hub.requests.get(path('acme/pytorch', 'pytorch_model.bin'))).toBe(1); // a HEAD, never a download
  });

  it('an architecture no graph is built for fails from config.json, before the weights are fetched', async () => {
    const error = await rejection(load('acme/electra', join(workDir(), 'electra-cache')));
    expect(isRerankerError(error, 'MODEL_LOAD_FAILED')).toBe(true);
    expect(error.message).toContain('no graph is built for model_type electra');
    expect(error.message).toContain('only for model_type bert, xlm-roberta, deberta-v2, modernbert');
    expect(hub.requests.get(path('acme/electra', 'model.safetensors'))).toBeUndefined();
  });

  it('with only the Python backend, fetches the safetensors and builds no graph', async () => {
    const id = 'acme/st-only';
    const cacheDir = join(workDir(), 'python-cache');
    const { reranker } = await load(id, cacheDir, {
      backends: [pythonBackend({ engine: 'numpy', python: '/usr/bin/python3' })],
    });
    expect((await reranker.info()).backend).toBe('python:numpy');
    expect(maxAbsDiff(await score(reranker), await referencePairScores(dirs[id]!, QUERY, DOCS))).toBeLessThan(
      1e-4,
    );
    expect(await graphFolders(cacheDir)).toEqual([]);
  });
});

describe('hub repos that publish an external-data export', () => {
  it('downloads onnx/model.onnx_data beside the graph and loads it, building nothing', async () => {
    const id = 'acme/external';
    const cacheDir = join(workDir(), 'external-cache');
    const { reranker } = await load(id, cacheDir);
    expect(maxAbsDiff(await score(reranker), await referencePairScores(dirs[id]!, QUERY, DOCS))).toBeLessThan(
      1e-5,
    );
    expect(hub.requests.get(path(id, 'onnx/model.onnx'))).toBe(1);
    expect(hub.requests.get(path(id, 'onnx/model.onnx_data'))).toBe(1);
    expect(hub.requests.get(path(id, 'model.safetensors'))).toBeUndefined();
    expect(await graphFolders(cacheDir)).toEqual([]);
  });
});
