import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { UnifiedReRanker } from '@reranker/core';
import { maxAbsDiff, referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type HubServer, startHubServer } from './helpers/hub-server';
import { useWorkspace } from './helpers/workspace';

/**
 * RERANKER_GRAPH: a model with both an ONNX export and a safetensors checkpoint loads the export by
 * default; with `build` the graph is built from the checkpoint (and a hub repo's export is never
 * downloaded). Both give the reference scores.
 */

const QUERY = 'which metals are magnetic';
const DOCS = ['Iron, nickel and cobalt are ferromagnetic metals.', 'The museum opens at nine on weekdays.'];
const ID = 'acme/both';

const { dir: workDir, load } = useWorkspace('graph-source');
let hub: HubServer;
let both: string;
let expected: number[];

beforeAll(async () => {
  // The kit's hub folders hold an export (standard operators) and model.safetensors, as many repos do.
  both = await synthesizedModelDir('tiny-xlmr');
  expected = await referencePairScores(both, QUERY, DOCS);
  hub = await startHubServer({ [ID]: both });
});
afterEach(() => hub.resetCounts());
afterAll(() => hub.close());

const path = (file: string) => `/${ID}/resolve/main/${file}`;
const score = (r: UnifiedReRanker) => r.score(DOCS.map((d) => [QUERY, d] as const));
const built = (lines: string[]) => lines.filter((l) => l.startsWith('built the ONNX graph'));
const graphFolders = async (cacheDir: string) =>
  (await readdir(join(cacheDir, 'graphs')).catch(() => [])).filter((n) => /^[0-9a-f]{32}$/.test(n));

describe('RERANKER_GRAPH', () => {
  it('export (default), hub: downloads the export and builds nothing', async () => {
    const cacheDir = join(workDir(), 'export-cache');
    const { reranker, logger } = await load({ env: { HF_ENDPOINT: hub.url }, model: ID, cacheDir });
    expect(maxAbsDiff(await score(reranker), expected)).toBeLessThan(1e-5);
    expect(hub.requests.get(path('onnx/model.onnx'))).toBe(1);
    expect(hub.requests.get(path('model.safetensors'))).toBeUndefined();
    expect(built(logger.lines)).toEqual([]);
    expect(await graphFolders(cacheDir)).toEqual([]);
  });

  it('build, hub: downloads the checkpoint, never the export, and builds the graph', async () => {
    const cacheDir = join(workDir(), 'build-cache');
    const env = { HF_ENDPOINT: hub.url, RERANKER_GRAPH: 'build' };
    const { reranker, logger } = await load({ env, model: ID, cacheDir });
    expect(maxAbsDiff(await score(reranker), expected)).toBeLessThan(1e-5);
    expect(hub.requests.get(path('onnx/model.onnx'))).toBeUndefined();
    expect(hub.requests.get(path('model.safetensors'))).toBe(1);
    expect(built(logger.lines)).toHaveLength(1);
    expect(await graphFolders(cacheDir)).toHaveLength(1);
  });

  it('build, local folder with both: builds from the checkpoint; export leaves the folder as it is', async () => {
    const cacheDir = join(workDir(), 'local-cache');
    const exported = await load({ env: {}, model: both, cacheDir });
    expect(built(exported.logger.lines)).toEqual([]);
    const fromCheckpoint = await load({ env: { RERANKER_GRAPH: 'build' }, model: both, cacheDir });
    expect(built(fromCheckpoint.logger.lines)).toHaveLength(1);
    const scores = await score(fromCheckpoint.reranker);
    expect(maxAbsDiff(scores, expected)).toBeLessThan(1e-5);
    // Another graph, so another fingerprint: cached scores of one are never served for the other.
    expect((await fromCheckpoint.reranker.info()).fingerprint).not.toBe(
      (await exported.reranker.info()).fingerprint,
    );
  });

  it('refuses a value it does not know, naming the choices', async () => {
    await expect(load({ env: { RERANKER_GRAPH: 'onnx' }, model: both, cacheDir: workDir() })).rejects.toThrow(
      /RERANKER_GRAPH.*export.*build/,
    );
  });
});
