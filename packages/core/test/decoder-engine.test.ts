import {
  QWEN3_RERANKER_TEMPLATE as CARD,
  encodeRerankPrompt,
  loadQwen3Reference,
  type Qwen3ReferenceModel,
  qwen3LastLogits,
  referenceDecoderBackend,
  referenceYesNoScore,
} from '@reranker/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BackendCandidate,
  type ModelFiles,
  UnifiedReRanker,
  type UnifiedReRankerOptions,
} from '../src/index';
import { localQwen3, readJson, transformersEncode } from './decoder-helpers';
import { disposedAfterEach, localModel, newProbe, probedReference } from './helpers';

// Scores are checked against the testkit's float64 Qwen3 reference on the model card's prompt, encoded
// by the testkit's encodeRerankPrompt with transformers.js's tokenizer (never core's encoder).

interface Seen {
  batches: { rows: number; widths: number[]; prefixKey: string | undefined; prefixIds: number[] }[];
}

/** The reference decoder backend, recording each batch's rows, real lengths and prefix. */
function recording(seen: Seen): BackendCandidate {
  const probe = newProbe();
  probe.batch = (batch) => {
    const widths = Array.from({ length: batch.rows }, (_, r) => {
      let n = 0;
      for (let t = 0; t < batch.width; t++) n += Number(batch.attentionMask[r * batch.width + t]);
      return n;
    });
    seen.batches.push({
      rows: batch.rows,
      widths,
      prefixKey: batch.prefix?.key,
      prefixIds: Array.from(batch.prefix?.inputIds ?? [], Number),
    });
  };
  return probedReference(
    probe,
    'reference-decoder',
    referenceDecoderBackend() as unknown as BackendCandidate,
  );
}

const open = disposedAfterEach();

let causal: ModelFiles;
let seqCls: ModelFiles;
let causalRef: Qwen3ReferenceModel;
let seqClsRef: Qwen3ReferenceModel;
let encode: (text: string) => number[];
let labelIds: { yes: number; no: number };

beforeAll(async () => {
  causal = await localQwen3('tiny-qwen3');
  seqCls = await localQwen3('tiny-qwen3-seq-cls');
  causalRef = await loadQwen3Reference(causal.localDir!);
  seqClsRef = await loadQwen3Reference(seqCls.localDir!);
  encode = await transformersEncode(causal);
  const vocab = ((await readJson(causal, 'tokenizer.json')).model as { vocab: Record<string, number> }).vocab;
  labelIds = { yes: vocab.yes!, no: vocab.no! };
}, 180_000);

async function create(model: ModelFiles, seen: Seen, extra: Partial<UnifiedReRankerOptions> = {}) {
  const reranker = await UnifiedReRanker.create({
    model,
    backends: [recording(seen)],
    maxPaddingRatio: 10, // mixed document lengths share a batch
    ...extra,
  });
  open.push(reranker);
  return reranker;
}

const DOCS = [
  'Beijing is the capital of China.',
  'Rivers carve valleys over millions of years, carrying sand and stone downstream to the sea.',
  '',
  '2024 was a leap year 🙂',
  'Gravity attracts two bodies towards each other; it gives weight to objects and moves planets around the sun.',
  '北京是中国的首都。',
];

function expectOracle(
  reference: Qwen3ReferenceModel,
  results: { index: number; score: number; relevanceScore: number }[],
  query: string,
  instruction?: string,
) {
  for (const r of results) {
    const input = { query, document: DOCS[r.index]!, ...(instruction !== undefined && { instruction }) };
    const want = referenceYesNoScore(reference, CARD, labelIds, input, encode);
    expect(Math.abs(r.score - want.score)).toBeLessThan(1e-5);
    expect(Math.abs(r.relevanceScore - want.relevanceScore)).toBeLessThan(1e-6);
  }
  const scores = results.map((r) => r.score);
  expect(scores).toEqual([...scores].sort((a, b) => b - a));
}

describe.each([
  ['tiny-qwen3', () => causal, () => causalRef],
  ['tiny-qwen3-seq-cls', () => seqCls, () => seqClsRef],
] as const)('%s through UnifiedReRanker', (_, model, reference) => {
  it('scores documents of mixed lengths in one batch within 1e-5 of the float64 reference', async () => {
    const seen: Seen = { batches: [] };
    const reranker = await create(model(), seen);
    const results = await reranker.rerank('what is the capital of China?', DOCS);
    expect(results).toHaveLength(DOCS.length);
    expectOracle(reference(), results, 'what is the capital of China?');
    expect(seen.batches).toHaveLength(1);
    expect(new Set(seen.batches[0]!.widths).size).toBeGreaterThan(3);
    // The batch's prefix is the card's prompt up to the document: the same ids as the oracle's.
    const card = encodeRerankPrompt(CARD, { query: 'what is the capital of China?', document: 'x' }, encode);
    expect(card.slice(0, seen.batches[0]!.prefixIds.length)).toEqual(seen.batches[0]!.prefixIds);
  });
});

describe('decoder engine', () => {
  it('several queries at once: each batch holds one prefix, and every score matches the reference', async () => {
    const seen: Seen = { batches: [] };
    const reranker = await create(causal, seen, { batchSize: 4, microBatchWindowMs: 20 });
    const queries = ['what is the capital of China?', 'how do rivers shape valleys', 'explain gravity'];
    const all = await Promise.all(queries.map((q) => reranker.rerank(q, DOCS)));
    for (const [i, results] of all.entries()) expectOracle(causalRef, results, queries[i]!);
    const keys = new Set(seen.batches.map((b) => b.prefixKey));
    expect(keys.size).toBe(3);
    for (const key of keys) {
      const ids = seen.batches.filter((b) => b.prefixKey === key).map((b) => JSON.stringify(b.prefixIds));
      expect(new Set(ids).size).toBe(1); // one key, one prefix
    }
    expect(seen.batches.reduce((n, b) => n + b.rows, 0)).toBe(3 * DOCS.length);
  });

  it('score() with pairs of several queries in one call: batches split by prefix, scores in input order', async () => {
    const seen: Seen = { batches: [] };
    const reranker = await create(causal, seen, { cache: false });
    const pairs = DOCS.flatMap((document, i) => [
      { query: 'capital', document },
      { query: i % 2 ? 'rivers' : 'gravity', document },
    ]);
    const scores = await reranker.score(pairs);
    pairs.forEach((pair, i) => {
      const want = referenceYesNoScore(causalRef, CARD, labelIds, pair, encode);
      expect(Math.abs(scores[i]! - want.score)).toBeLessThan(1e-5);
    });
    expect(new Set(seen.batches.map((b) => b.prefixKey)).size).toBe(3);
    expect(seen.batches.length).toBe(3);
  });

  it('the instruction changes the prompt and the cache key: two instructions never share scores', async () => {
    const seen: Seen = { batches: [] };
    const reranker = await create(causal, seen);
    const rows = () => seen.batches.reduce((n, b) => n + b.rows, 0);
    const query = 'capital city';
    const first = await reranker.rerank(query, DOCS);
    expect(rows()).toBe(DOCS.length);
    const other = 'Given a question, find the passage that answers it';
    const second = await reranker.rerank(query, DOCS, { instruction: other });
    expect(rows()).toBe(2 * DOCS.length); // all misses
    expectOracle(causalRef, second, query, other);
    expect(second.map((r) => r.score)).not.toEqual(first.map((r) => r.score));
    // The default instruction, given or not, is one key: served from the cache.
    const again = await reranker.rerank(query, DOCS, { instruction: CARD.defaultInstruction });
    expect(rows()).toBe(2 * DOCS.length);
    expect(again).toEqual(first);
    const scored = await reranker.score([{ query, document: DOCS[1]! }], { instruction: other });
    expect(scored[0]).toBe(second.find((r) => r.index === 1)!.score);
    expect(rows()).toBe(2 * DOCS.length);
    expect(reranker.stats().metrics).toMatchObject({ cache_hits: DOCS.length + 1 });
  });

  it('without a cache, concurrent calls with different instructions do not share in-flight pairs', async () => {
    const seen: Seen = { batches: [] };
    const reranker = await create(causal, seen, { cache: false });
    const [a, b] = await Promise.all([
      reranker.rerank('capital city', DOCS.slice(0, 2), { instruction: 'one' }),
      reranker.rerank('capital city', DOCS.slice(0, 2), { instruction: 'two' }),
    ]);
    expectOracle(causalRef, a, 'capital city', 'one');
    expectOracle(causalRef, b, 'capital city', 'two');
  });

  it('the reranker option sets the default instruction; info() shows kind, template and instruction', async () => {
    const seen: Seen = { batches: [] };
    const reranker = await create(causal, seen, { instruction: 'Find the city' });
    expectOracle(causalRef, await reranker.rerank('capital', DOCS), 'capital', 'Find the city');
    expect(await reranker.info()).toMatchObject({
      kind: 'decoder-yes-no',
      template: 'qwen3-reranker',
      defaultInstruction: 'Find the city',
      maxLength: 8192,
      numLabels: 2,
    });
    const cls = await create(seqCls, { batches: [] });
    expect(await cls.info()).toMatchObject({ kind: 'decoder-seq-cls', numLabels: 1, maxLength: 8192 });
  });

  it('a document longer than maxLength keeps the suffix: the score of the card-truncated prompt', async () => {
    const seen: Seen = { batches: [] };
    const reranker = await create(causal, seen, { maxLength: 160 });
    const long = 'water carries stone along the valley floor, '.repeat(100);
    const [result] = await reranker.rerank('rivers', [long]);
    const full = encodeRerankPrompt(CARD, { query: 'rivers', document: long }, encode);
    const suffix = encode(CARD.suffix);
    const ids = [...full.slice(0, 160 - suffix.length), ...suffix];
    const [yes, no] = qwen3LastLogits(causalRef, ids, [labelIds.yes, labelIds.no]);
    expect(Math.abs(result!.score - (yes! - no!))).toBeLessThan(1e-5);
  });

  it('refuses an instruction that is not a string, and truncation longest_first', async () => {
    const reranker = await create(causal, { batches: [] });
    await expect(reranker.rerank('q', ['d'], { instruction: 3 as unknown as string })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(create(causal, { batches: [] }, { truncation: 'longest_first' })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});

describe('cross-encoders refuse instructions rather than ignore them', () => {
  it('per call: INVALID_INPUT; as an option or with a template: INVALID_CONFIG', async () => {
    const probe = newProbe();
    const reranker = await UnifiedReRanker.create({
      model: await localModel('tiny'),
      backends: [probedReference(probe)],
    });
    open.push(reranker);
    await expect(reranker.rerank('q', ['d'], { instruction: 'be strict' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/cross-encoder, which takes no instruction/),
    });
    await expect(reranker.score([{ query: 'q', document: 'd' }], { instruction: 'x' })).rejects.toMatchObject(
      {
        code: 'INVALID_INPUT',
      },
    );
    expect(probe.rows).toBe(0);
    expect((await reranker.info()).kind).toBe('cross-encoder');
    for (const extra of [{ instruction: 'x' }, { template: CARD as never }]) {
      await expect(
        UnifiedReRanker.create({
          model: await localModel('tiny'),
          backends: [probedReference(newProbe())],
          ...extra,
        }),
      ).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    }
  });
});
