import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { maxAbsDiff, referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { describe, expect, it } from 'vitest';
import { type CacheDriver, createMemoryCache, type ModelFiles, UnifiedReRanker } from '../src/index';
import { disposedAfterEach, newProbe, probedReference, recordingLogger } from './helpers';

const open = disposedAfterEach();

const QUERY = 'how do solar panels make electricity';
const DOCS = [
  'Solar panels turn sunlight into electricity with photovoltaic cells.',
  'The recipe needs two eggs, flour and a pinch of salt.',
  'Panels on the roof feed power into the home and the grid.',
];

/** A folder as core sees it, always under the same id and revision (as a folder replaced in place is). */
function folder(dir: string, extra: Partial<ModelFiles> = {}): ModelFiles {
  return {
    id: 'models/current',
    source: 'local:/srv/models/current',
    revision: 'local',
    localDir: dir,
    read: (path) => readFile(join(dir, path)),
    ...extra,
  };
}

async function create(model: ModelFiles, cache: CacheDriver) {
  const probe = newProbe();
  const reranker = await UnifiedReRanker.create({
    model,
    backends: [probedReference(probe)],
    logger: recordingLogger(),
    cache,
  });
  open.push(reranker);
  return { reranker, probe };
}

function byIndex(results: { index: number; score: number }[]): number[] {
  return [...results].sort((a, b) => a.index - b.index).map((r) => r.score);
}

describe('pair cache keys carry the model fingerprint', () => {
  it('another model under the same id, revision and shared cache computes its own scores', async () => {
    const cache = createMemoryCache();
    const oldDir = await synthesizedModelDir('tiny');
    const newDir = await synthesizedModelDir('tiny', { seed: 7 });
    const before = await create(folder(oldDir, { fingerprint: 'a'.repeat(64) }), cache);
    await before.reranker.rerank(QUERY, DOCS);
    expect(before.probe.rows).toBe(DOCS.length);

    const after = await create(folder(newDir, { fingerprint: 'b'.repeat(64) }), cache);
    const results = await after.reranker.rerank(QUERY, DOCS);
    expect(after.probe.rows).toBe(DOCS.length);
    const expected = await referencePairScores(newDir, QUERY, DOCS);
    expect(maxAbsDiff(byIndex(results), expected)).toBeLessThan(1e-4);
    const stale = await referencePairScores(oldDir, QUERY, DOCS);
    expect(maxAbsDiff(expected, stale)).toBeGreaterThan(1e-3);
  });

  it('the same content under the same fingerprint is served from the shared cache', async () => {
    const cache = createMemoryCache();
    const dir = await synthesizedModelDir('tiny');
    const first = await create(folder(dir, { fingerprint: 'c'.repeat(64) }), cache);
    const a = await first.reranker.rerank(QUERY, DOCS);
    const second = await create(folder(dir, { fingerprint: 'c'.repeat(64) }), cache);
    const b = await second.reranker.rerank(QUERY, DOCS);
    expect(second.probe.rows).toBe(0);
    expect(b).toEqual(a);
  });

  it('info() shows the fingerprint and the hub commit', async () => {
    const model = folder(await synthesizedModelDir('tiny'), {
      fingerprint: 'd'.repeat(64),
      commit: 'e'.repeat(40),
    });
    const { reranker } = await create(model, createMemoryCache());
    expect(await reranker.info()).toMatchObject({ fingerprint: 'd'.repeat(64), commit: 'e'.repeat(40) });
  });

  it('without a fingerprint, one is hashed from the config and tokenizer files core reads', async () => {
    const dir = await synthesizedModelDir('tiny');
    const { reranker } = await create(folder(dir), createMemoryCache());
    const files = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];
    const hash = createHash('sha256');
    for (const file of files) {
      const bytes = await readFile(join(dir, file));
      hash.update(`${bytes.length}:`).update(bytes);
    }
    const info = await reranker.info();
    expect(info.fingerprint).toBe(hash.digest('hex'));
    expect(info).not.toHaveProperty('commit');

    // One more byte in the tokenizer file (valid JSON still): another fingerprint, other keys.
    const edited = folder(dir, {
      read: async (path) => {
        const bytes = await readFile(join(dir, path));
        return path === 'tokenizer.json' ? Buffer.concat([bytes, Buffer.from(' ')]) : bytes;
      },
    });
    const other = await create(edited, createMemoryCache());
    expect((await other.reranker.info()).fingerprint).not.toBe(info.fingerprint);
  });
});
