import { describe, expect, it } from 'vitest';
import { runCheckpoints } from '../src/checkpoints';
import { checkpointsMarkdown } from '../src/checkpoints-report';
import { startPeakRss } from '../src/peak-rss';

/** `reranker-bench checkpoints` on a tiny safetensors-only preset: every figure present and coherent. */

const base = { batchSize: 4, docs: 4, requests: 1, seed: 1, longPairs: [1, 3] };

describe('runCheckpoints', () => {
  it('times the graph build and the cached load, and each dtype against fp32', async () => {
    const result = await runCheckpoints(
      { ...base, presets: ['tiny-modernbert'], dtypes: ['fp32', 'q8'] },
      () => {},
    );
    expect(result.rows.map((r) => [r.model, r.dtype, r.status])).toEqual([
      ['tiny-modernbert', 'fp32', 'measured'],
      ['tiny-modernbert', 'q8', 'measured'],
    ]);
    for (const row of result.rows) {
      expect(row.buildLoadSeconds).toBeGreaterThan(0);
      expect(row.cachedLoadSeconds).toBeGreaterThan(0);
      expect(row.docsPerSecond).toBeGreaterThan(0);
      expect(row.peakRss!.bytes).toBeGreaterThan(50 * 2 ** 20);
    }
    expect(result.rows[0]!.speedVsFp32).toBe(1);
    expect(result.rows[1]!.speedVsFp32).toBeCloseTo(
      result.rows[1]!.docsPerSecond! / result.rows[0]!.docsPerSecond!,
    );
    const markdown = checkpointsMarkdown(result);
    expect(markdown).toContain('| dtype | build + load | cached load |');
    expect(markdown).toContain('RANDOM weights');
  });

  it('long pairs: pairs past 512 tokens run one per model run under the default token budget', async () => {
    const result = await runCheckpoints(
      { ...base, presets: ['tiny-modernbert'], dtypes: ['fp32'], longTokens: 1500 },
      () => {},
    );
    expect(result.rows).toEqual([]);
    expect(result.long.map((r) => [r.pairs, r.tokensPerPair, r.batches])).toEqual([
      [1, 1500, 1],
      [3, 1500, 3], // 2 × 1500² > 8192 × 512: the attention bound splits them (the token budget would not)
    ]);
    expect(checkpointsMarkdown(result)).toContain('long pairs (maxLength 1500');
  });
});

describe('startPeakRss', () => {
  it('sees memory allocated during its stretch', () => {
    const peak = startPeakRss();
    const block = Buffer.alloc(200 * 2 ** 20, 1);
    const { bytes, scope } = peak();
    expect(block.length).toBeGreaterThan(0);
    expect(bytes).toBeGreaterThan(200 * 2 ** 20);
    if (process.platform === 'linux') expect(scope).toBe('stretch');
  });
});
