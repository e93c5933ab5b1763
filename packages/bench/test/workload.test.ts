import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { synthesizedModelDir } from '@reranker/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { median, percentile } from '../src/stats';
import { buildWorkload, rawBatches } from '../src/workload';

let dir: string;
let vocab: Record<string, number>;

beforeAll(async () => {
  dir = await synthesizedModelDir('tiny');
  const json = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as {
    model: { vocab: Record<string, number> };
  };
  vocab = json.model.vocab;
});

describe('buildWorkload', () => {
  it('makes distinct documents whose pairs are exactly the requested length', async () => {
    const workload = await buildWorkload(dir, 20, 64);
    expect(workload.documents).toHaveLength(20);
    expect(new Set(workload.documents).size).toBe(20);
    for (const [d, pair] of workload.pairs.entries()) {
      expect(pair.inputIds).toHaveLength(64);
      expect(pair.tokenTypeIds).toHaveLength(64);
      // Looked up in the vocabulary directly, not through the encoder: each word is one token.
      const words = workload.documents[d]!.split(' ');
      const docIds = words.map((w) => vocab[w]);
      expect(pair.inputIds.slice(-words.length - 1)).toEqual([...docIds, 102]);
      expect(pair.inputIds[0]).toBe(101);
    }
  });

  it('rejects a pair length that leaves no room for a document', async () => {
    await expect(buildWorkload(dir, 1, 5)).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});

describe('rawBatches', () => {
  it('splits pairs into batches of at most batchSize rows, row-major int64 with a full mask', async () => {
    const workload = await buildWorkload(dir, 20, 40);
    const batches = rawBatches(workload, 16);
    expect(batches.map((b) => [b.rows, b.width])).toEqual([
      [16, 40],
      [4, 40],
    ]);
    const last = batches[1]!;
    const pair = workload.pairs[17]!;
    expect(Array.from(last.inputIds.subarray(40, 80), Number)).toEqual(pair.inputIds);
    expect(Array.from(last.tokenTypeIds.subarray(40, 80), Number)).toEqual(pair.tokenTypeIds);
    expect(last.attentionMask.every((v) => v === 1n)).toBe(true);
  });
});

describe('stats', () => {
  it('interpolates percentiles and gives NaN for no values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5], 95)).toBeCloseTo(4.8);
    expect(percentile([], 50)).toBeNaN();
  });
});
