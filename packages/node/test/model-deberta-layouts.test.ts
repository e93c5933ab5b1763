import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type SynthesizedLayout, synthesizedModelDir } from '@reranker/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectReferenceScores } from './helpers/assertions';
import { type HubServer, startHubServer } from './helpers/hub-server';
import { useWorkspace } from './helpers/workspace';

/**
 * DeBERTa-v3 twins (mxbai-rerank-*-v1's config and tokenizer) in the other file layouts hub repos
 * publish: sharded safetensors, float16-stored safetensors, and an ONNX export with external data.
 * Each loads from a local folder and from the local hub stand-in, scoring within 1e-5 of the testkit's
 * float64 reference (which reads the same stored weights) whatever shares the batch.
 */

const QUERY = 'which metals are magnetic';
// The last pair is far past tiny-deberta's 4-token exact bucket range.
const DOCS = [
  'Iron, nickel and cobalt are ferromagnetic metals.',
  'No.',
  'Magnetite is a naturally magnetic iron oxide mineral found in many rocks around the world, ' +
    'and sailors once used lodestones made of it as the first compasses on long journeys.',
];

interface Twin {
  layout: SynthesizedLayout;
  /** Files a hub load must fetch (each once). */
  fetched: string[];
  /** Files a hub load must not fetch. */
  notFetched?: string[];
}

const TWINS: Record<string, Twin> = {
  'mixedbread-twin/sharded': {
    layout: { onnx: 'none', shards: 3 },
    fetched: [
      'model.safetensors.index.json',
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
    ],
  },
  'mixedbread-twin/f16': {
    layout: { onnx: 'none', weightsDtype: 'F16' },
    fetched: ['model.safetensors'],
  },
  'mixedbread-twin/external-data': {
    layout: { onnx: 'external-data' },
    fetched: ['onnx/model.onnx', 'onnx/model.onnx_data'],
    notFetched: ['model.safetensors'],
  },
};
const IDS = Object.keys(TWINS);

const { dir: workDir, load: loadModel } = useWorkspace('deberta-layouts');
const dirs: Record<string, string> = {};
let hub: HubServer;

beforeAll(async () => {
  for (const [id, twin] of Object.entries(TWINS))
    dirs[id] = await synthesizedModelDir('tiny-deberta', { layout: twin.layout });
  hub = await startHubServer(dirs);
});
afterEach(() => hub.resetCounts());
afterAll(() => hub.close());

const load = (model: string, cacheDir: string, env: Record<string, string> = {}) =>
  loadModel({ env, model, cacheDir, batchSize: 8 });

const builds = (lines: string[]) => lines.filter((l) => l.startsWith('built the ONNX graph')).length;

async function graphFolders(cacheDir: string): Promise<string[]> {
  const names = await readdir(join(cacheDir, 'graphs')).catch(() => []);
  return names.filter((name) => /^[0-9a-f]{32}$/.test(name));
}

describe.each(IDS)('tiny-deberta twin %s', (id) => {
  const twin = TWINS[id]!;
  const built = twin.layout.onnx === 'none' ? 1 : 0;

  it('loads from a local folder', async () => {
    const cacheDir = join(workDir(), `${id.replace('/', '--')}-local`);
    const { reranker, logger } = await load(dirs[id]!, cacheDir);
    expect(await reranker.info()).toMatchObject({ backend: 'onnxruntime-node', source: `local:${dirs[id]}` });
    expect(builds(logger.lines)).toBe(built);
    await expectReferenceScores(reranker, dirs[id]!, QUERY, DOCS);
  });

  it('loads from the hub, fetching only its files; a second load makes no request and no build', async () => {
    const cacheDir = join(workDir(), `${id.replace('/', '--')}-hub`);
    const first = await load(id, cacheDir, { HF_ENDPOINT: hub.url });
    expect((await first.reranker.info()).source).toBe(`remote:${id}`);
    expect(builds(first.logger.lines)).toBe(built);
    const scores = await expectReferenceScores(first.reranker, dirs[id]!, QUERY, DOCS);
    for (const file of twin.fetched) expect(hub.requests.get(`/${id}/resolve/main/${file}`), file).toBe(1);
    for (const file of twin.notFetched ?? [])
      expect(hub.requests.get(`/${id}/resolve/main/${file}`), file).toBeUndefined();
    expect(await graphFolders(cacheDir)).toHaveLength(built);

    hub.resetCounts();
    const second = await load(id, cacheDir, { HF_ENDPOINT: hub.url });
    expect(hub.totalRequests()).toBe(0);
    expect(builds(second.logger.lines)).toBe(0);
    expect(await second.reranker.score(DOCS.map((d) => [QUERY, d] as const))).toEqual(scores);
  });
});
