import { maxAbsDiff, referencePairScores } from '@reranker/testkit';
import { describe, expect, it } from 'vitest';
import type { RerankerError } from '../src/index';
import { localModel, probedRerankers, recordingLogger } from './helpers';

const create = probedRerankers();

const QUERY = 'how do solar panels make electricity';
const DOCS = [
  'Solar panels turn sunlight into electricity with photovoltaic cells.',
  'The recipe needs two eggs, flour and a pinch of salt.',
  'Photovoltaic cells free electrons when light hits silicon.',
  'Football season starts in the autumn.',
  'Panels on the roof feed power into the home and the grid.',
];

describe('UnifiedReRanker scores', () => {
  it.each(['tiny', 'tiny-2label', 'tiny-xlmr'] as const)(
    '%s: scores equal the reference pass on transformers.js token ids, best first',
    async (preset) => {
      const { reranker } = await create(preset);
      const results = await reranker.rerank(QUERY, DOCS);
      const expected = await referencePairScores((await localModel(preset)).localDir!, QUERY, DOCS);
      const byIndex = [...results].sort((a, b) => a.index - b.index);
      expect(
        maxAbsDiff(
          byIndex.map((r) => r.score),
          expected,
        ),
      ).toBeLessThan(1e-4);
      for (const r of results) expect(r.relevanceScore).toBeCloseTo(1 / (1 + Math.exp(-r.score)), 12);
      const order = expected.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
      expect(results.map((r) => r.index)).toEqual(order.map(([, i]) => i));
    },
  );

  it('score() returns raw scores in input order, equal to rerank scores', async () => {
    const { reranker } = await create('tiny');
    const scores = await reranker.score(DOCS.map((d) => [QUERY, d] as const));
    const results = await reranker.rerank(QUERY, DOCS);
    for (const r of results) expect(scores[r.index]).toBe(r.score);
  });

  it('ties are ordered by input position; topK keeps the best', async () => {
    const { reranker } = await create('tiny');
    const docs = ['same text', 'other text', 'same text', 'same text'];
    const results = await reranker.rerank('query', docs);
    const same = results.filter((r) => docs[r.index] === 'same text').map((r) => r.index);
    expect(same).toEqual([0, 2, 3]);
    const top2 = await reranker.rerank('query', docs, { topK: 2 });
    expect(top2).toEqual(results.slice(0, 2));
    expect(await reranker.rerank('query', docs, { topK: 99 })).toHaveLength(4);
  });

  it('returns documents only when asked, objects untouched', async () => {
    const { reranker } = await create('tiny');
    const docs = [
      { text: 'alpha', id: 'a' },
      { text: 'beta', id: 'b' },
    ];
    const plain = await reranker.rerank('q', docs);
    expect(plain.every((r) => r.document === undefined)).toBe(true);
    const withDocs = await reranker.rerank('q', docs, { returnDocuments: true });
    for (const r of withDocs) expect(r.document).toBe(docs[r.index]);
  });

  it('empty documents give [] without touching the backend', async () => {
    const { reranker, probe } = await create('tiny');
    expect(await reranker.rerank('q', [])).toEqual([]);
    expect(probe.runs).toBe(0);
  });

  it.each([
    ['empty query', () => ['', ['d']], 'query'],
    ['non-string document', () => ['q', ['d', 3]], 'documents[1]'],
    ['topK 0', () => ['q', ['d'], { topK: 0 }], 'topK'],
    ['negative topK', () => ['q', ['d'], { topK: -2 }], 'topK'],
  ] as const)('%s → INVALID_INPUT naming the field', async (_, args, field) => {
    const { reranker, probe } = await create('tiny');
    const [q, d, o] = args() as unknown as [string, string[], { topK?: number }?];
    const error = (await reranker.rerank(q, d, o).catch((e: unknown) => e)) as RerankerError;
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.details?.field).toBe(field);
    expect(probe.runs).toBe(0);
  });
});

describe('UnifiedReRanker info and stats', () => {
  it('reports what runs and the original service keys', async () => {
    const { reranker } = await create('tiny-xlmr', { maxLength: 128 });
    await reranker.rerank(QUERY, DOCS);
    const info = await reranker.info();
    expect(info).toMatchObject({
      backend: 'reference',
      device: 'cpu',
      model: 'testkit/tiny-xlmr',
      dtype: 'fp32',
      maxLength: 128,
      truncation: 'only_second',
      numLabels: 1,
      cacheEnabled: true,
      cacheSize: DOCS.length,
    });
    expect(info.source).toMatch(/^local:/);
    const { controller, metrics } = reranker.stats();
    expect(controller).toEqual({ waiting: 0, active: 0, available_slots: 4, max_parallel: 4, max_queue: 10 });
    expect(metrics).toMatchObject({
      total_requests: 1,
      successful_requests: 1,
      failed_requests: 0,
      success_rate: 1,
    });
    for (const key of [
      'avg_wait_time_ms',
      'avg_process_time_ms',
      'p50_wait_time_ms',
      'p95_wait_time_ms',
      'p99_wait_time_ms',
    ]) {
      expect(metrics).toHaveProperty(key);
    }
  });

  it('clamps maxLength to the model positions with a warning', async () => {
    const logger = recordingLogger();
    const { reranker } = await create('tiny-xlmr', { maxLength: 4096, logger });
    expect((await reranker.info()).maxLength).toBe(512);
    expect(logger.warnings.join('\n')).toMatch(/exceeds the model's 512 positions/);
  });

  it('rejects use after dispose', async () => {
    const { reranker } = await create('tiny');
    await reranker.dispose();
    await expect(reranker.rerank('q', ['d'])).rejects.toMatchObject({ code: 'DISPOSED' });
  });
});
