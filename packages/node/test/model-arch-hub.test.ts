import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { UnifiedReRanker } from '@reranker/core';
import { maxAbsDiff, type PresetName, referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type HubServer, startHubServer } from './helpers/hub-server';
import { useWorkspace } from './helpers/workspace';

/**
 * ModernBERT (gte-reranker-modernbert-base) and DeBERTa-v3 (mxbai-rerank-*-v1) repos that publish
 * only safetensors, served by the local hub stand-in: `createReranker({ model: 'org/name' })` downloads
 * them, builds the graph once, scores within 1e-5 of the float64 reference, and a second load makes no
 * request and builds nothing.
 */

const QUERY = 'which metals are magnetic';
const DOCS = [
  'Iron, nickel and cobalt are ferromagnetic metals.',
  'The museum opens at nine on weekdays.',
  'Magnetite is a naturally magnetic iron oxide mineral found in many rocks around the world.',
];

const REPOS: Record<string, PresetName> = {
  'alibaba-twin/gte-reranker-modernbert-base': 'tiny-modernbert',
  'mixedbread-twin/mxbai-rerank-xsmall-v1': 'tiny-deberta',
};

const { dir: workDir, load: loadReranker } = useWorkspace('arch-hub');
const dirs: Record<string, string> = {};
let hub: HubServer;

beforeAll(async () => {
  for (const [id, preset] of Object.entries(REPOS))
    dirs[id] = await synthesizedModelDir(preset, { layout: { onnx: 'none' } });
  hub = await startHubServer(dirs);
});
afterEach(() => hub.resetCounts());
afterAll(() => hub.close());

const load = (id: string, cacheDir: string) =>
  loadReranker({ env: { HF_ENDPOINT: hub.url }, model: id, cacheDir });

const score = (r: UnifiedReRanker) => r.score(DOCS.map((d) => [QUERY, d] as const));

describe.each(Object.keys(REPOS))('%s (safetensors only, from the hub)', (id) => {
  it('builds the graph once, scores within 1e-5 of the reference; a second load makes no request and no build', async () => {
    const cacheDir = join(workDir(), `${id.replace('/', '--')}-cache`);
    const first = await load(id, cacheDir);
    const expected = await referencePairScores(dirs[id]!, QUERY, DOCS);
    const scores = await score(first.reranker);
    expect(maxAbsDiff(scores, expected)).toBeLessThan(1e-5);
    expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(1e-3); // able to fail
    expect((await first.reranker.info()).source).toBe(`remote:${id}`);
    expect(hub.requests.get(`/${id}/resolve/main/model.safetensors`)).toBe(1);
    expect(first.logger.lines.filter((l) => l.startsWith('built the ONNX graph'))).toHaveLength(1);
    const graphs = (await readdir(join(cacheDir, 'graphs'))).filter((n) => /^[0-9a-f]{32}$/.test(n));
    expect(graphs).toHaveLength(1);
    const built = join(cacheDir, 'graphs', graphs[0]!, 'onnx', 'model.onnx');
    const builtAt = (await stat(built)).mtimeMs;

    hub.resetCounts();
    const second = await load(id, cacheDir);
    expect(hub.totalRequests()).toBe(0);
    expect(await score(second.reranker)).toEqual(scores);
    expect(second.logger.lines.filter((l) => /downloading|building|built the ONNX graph/.test(l))).toEqual(
      [],
    );
    expect((await stat(built)).mtimeMs).toBe(builtAt);
  });
});
