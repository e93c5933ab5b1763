// Runs `eval` for real on the shipped beir-mini fixture with the tiny synthesized model (RANDOM
// weights: its rerank figures mean nothing, so only BM25's figures and the agreement are asserted).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BEIR_MINI, parseRecallAt } from '../src/cli-eval';
import { type EvalResult, evalConfigs, runEval } from '../src/eval';
import { benchCli, suiteTempDir } from './bench-cli';

const cli = (args: string[]) => benchCli(args, 180_000);

describe('eval arguments', () => {
  it('builds the second configuration from --compare', () => {
    expect(evalConfigs({ backend: 'cpu', dtype: 'fp32', compare: 'q8' })).toEqual([
      { label: 'cpu fp32', backend: 'cpu', dtype: 'fp32' },
      { label: 'cpu q8', backend: 'cpu', dtype: 'q8' },
    ]);
    expect(evalConfigs({ backend: 'cpu', dtype: 'q8', compare: 'wasm' })[1]).toEqual({
      label: 'wasm q8',
      backend: 'wasm',
      dtype: 'q8',
    });
    expect(evalConfigs({ backend: 'cpu', dtype: 'fp32', compare: 'fp32' })[1]!.label).toBe(
      'cpu fp32 (again)',
    );
    expect(evalConfigs({ backend: 'wasm', dtype: 'fp32' })).toHaveLength(1);
  });

  it('parses --recall-at', () => {
    expect(parseRecallAt('100,10,50,10')).toEqual([10, 50, 100]);
    expect(() => parseRecallAt('10,0')).toThrow(/integers from 1/);
    expect(() => parseRecallAt('ten')).toThrow(/integers from 1/);
  });
});

describe('eval on beir-mini with the tiny preset', () => {
  const dir = suiteTempDir('bench-eval-');

  it('writes markdown, JSON and the chart; BM25 scores well; a configuration agrees with itself', async () => {
    const out = await dir;
    const json = join(out, 'eval.json');
    const chart = join(out, 'eval.svg');
    const run = await cli([
      'eval',
      '--preset',
      'tiny',
      '--compare',
      'fp32',
      '--json',
      json,
      '--chart',
      chart,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('RANDOM weights: its rerank figures mean nothing');
    expect(run.stdout).toMatch(/\| BM25 \| 0\.\d{4} \| 0\.\d{4} \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
    expect(run.stdout).toContain('| cpu fp32 vs cpu fp32 (again) | 1.0000 | 1.0000 |');

    const result = JSON.parse(await readFile(json, 'utf8')) as EvalResult;
    expect(result.dataset).toMatchObject({ path: BEIR_MINI, passages: 340, queries: 42 });
    expect(result.model).toMatchObject({ name: 'tiny', synthesized: true });
    expect(result.runs.map((r) => r.name)).toEqual([
      'BM25',
      'BM25 top 100 + rerank (cpu fp32)',
      'BM25 top 100 + rerank (cpu fp32 (again))',
    ]);
    // The fixture's queries name their topics: BM25 alone must find their passages.
    const bm25 = result.runs[0]!.metrics;
    expect(bm25.ndcgAt10).toBeGreaterThan(0.5);
    expect(bm25.mrrAt10).toBeGreaterThan(0.5);
    expect(Object.keys(bm25.recall)).toEqual(['10', '50', '100']);
    // Reranking the same 100 candidates cannot change which ones are in the top 100.
    for (const run of result.runs) expect(run.metrics.recall['100']).toBeCloseTo(bm25.recall['100']!, 12);
    // Two queries share no word with the corpus (see the fixture's README): no candidates, tau undefined.
    expect(result.agreement).toEqual({
      between: ['cpu fp32', 'cpu fp32 (again)'],
      kendallTauB: { mean: 1, queries: 40 },
      top10Overlap: 1,
    });
    expect(result.queries.filter((q) => q.kendallTauB === null).map((q) => q.id)).toEqual([
      'q-comet-0',
      'q-wolves-0',
    ]);

    const svg = await readFile(chart, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('synthesized, random weights');
    for (const series of ['nDCG@10', 'MRR@10', 'Recall@50', 'Kendall tau-b', 'top-10 overlap']) {
      expect(svg).toContain(`data-series="${series}"`);
    }
  });

  it('cpu and wasm rank the candidates (nearly) alike, q8 and a smaller N run', async () => {
    const common = { data: BEIR_MINI, split: 'test', preset: 'tiny', batchSize: 32, maxQueries: 6 } as const;
    const wasm = await runEval(
      { ...common, dtype: 'fp32', backend: 'cpu', compare: 'wasm', candidates: 100, recallAt: [10] },
      () => {},
    );
    expect(wasm.runs.map((r) => r.config?.label)).toEqual([undefined, 'cpu fp32', 'wasm fp32']);
    // The same fp32 graph on two runtimes: scores differ in the last digits at most.
    expect(wasm.agreement!.kendallTauB.mean).toBeGreaterThan(0.95);
    expect(wasm.agreement!.top10Overlap).toBeGreaterThan(0.95);

    const q8 = await runEval(
      { ...common, dtype: 'q8', backend: 'cpu', candidates: 5, recallAt: [5, 20] },
      () => {},
    );
    expect(q8.agreement).toBeUndefined();
    expect(q8.queries[0]!.top10[1]).toHaveLength(5); // only the 5 candidates are reranked
    expect(q8.runs[1]!.metrics.recall['20']).toBeCloseTo(q8.runs[1]!.metrics.recall['5']!, 12);
  });
});
