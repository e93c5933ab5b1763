// Runs `llm` for real on tiny-qwen3 (random weights): the structure of the result, that both variants
// ran the graph they stand for, and that both give the float64 reference's scores. Never the speed.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { qwen3Oracle, referencePromptScores, synthesizedQwen3Dir } from '@reranker/testkit';
import { describe, expect, it } from 'vitest';
import type { LlmResult } from '../src/llm';
import { llmMarkdown } from '../src/llm-report';
import { buildLlmWorkload } from '../src/llm-workload';
import { benchCli, suiteTempDir } from './bench-cli';

const cli = (args: string[]) => benchCli(args, 150_000);

const maxDiff = (a: readonly number[], b: readonly number[]) =>
  Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

// The engine's q8 bound against the reference (packages/node/test/onnx-decoder.test.ts); the naive
// graph quantizes its activations over other tensors (prefix rows included), so it gets the same bound.
const BOUND = { fp32: 1e-5, q8: 0.25 } as const;

describe('llm on tiny-qwen3', () => {
  const dir = suiteTempDir('bench-llm-');

  it('the workload: exact query length and documents in range, counted by transformers.js', async () => {
    const modelDir = await synthesizedQwen3Dir('tiny-qwen3');
    const oracle = await qwen3Oracle(modelDir);
    const options = { requests: 3, docs: 8, queryTokens: 30, docTokens: [64, 256] as const, seed: 3 };
    const { requests, stats } = await buildLlmWorkload(modelDir, options);
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.query)).size).toBe(3); // a new prefix per request
    for (const { query, documents } of requests) {
      // The body holds `<Query>: {query}` and `<Document>: {document}`: each follows a space.
      expect(oracle.encode(` ${query}`)).toHaveLength(30);
      expect(documents).toHaveLength(8);
      for (const doc of documents) {
        const n = oracle.encode(` ${doc}`).length;
        expect(n).toBeGreaterThanOrEqual(64);
        expect(n).toBeLessThanOrEqual(256);
      }
    }
    expect(stats.prefixTokens).toBeGreaterThan(30);
    expect(stats.promptTokens).toBeCloseTo(stats.prefixTokens + stats.rowTokens);
    expect(await buildLlmWorkload(modelDir, options)).toEqual({ requests, stats }); // seeded
  });

  it('measures both variants per dtype from the command line; their scores are the reference', async () => {
    const out = join(await dir, 'llm.json');
    const args = ['--preset', 'tiny-qwen3', '--docs', '6', '--rounds', '2', '--warmup', '1'];
    const run = await cli(['llm', ...args, '--settle-ms', '0', '--json', out]);
    expect(run.stderr).not.toMatch(/Error:/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('| dtype | variant | docs/s (median of rounds) |');
    expect(run.stdout).toContain('RANDOM weights');
    const result = JSON.parse(await readFile(out, 'utf8')) as LlmResult;
    expect(result.commandLine).toMatch(/^pnpm -s bench llm --preset tiny-qwen3/);
    expect(result.dtypes.map((d) => d.dtype)).toEqual(['fp32', 'q8']);
    expect(result.workload.queryTokens).toBe(30);
    for (const d of result.dtypes) {
      expect(d.engine.decoderLayout).toBe('prefix');
      expect(d.naive.decoderLayout).toBe('causal-lm');
      // The same session options: the same topology in both processes.
      expect([d.naive.workers, d.naive.threadsPerWorker]).toEqual([
        d.engine.workers,
        d.engine.threadsPerWorker,
      ]);
      for (const v of [d.engine, d.naive]) {
        expect(v.rounds).toHaveLength(2);
        expect(v.docsPerSecond).toBeGreaterThan(0);
        expect(v.peakRss!.bytes).toBeGreaterThan(50 * 2 ** 20);
        expect(v.loadPeakRss.bytes).toBeGreaterThan(50 * 2 ** 20);
      }
      expect(d.ratio).toBeCloseTo(d.engine.docsPerSecond / d.naive.docsPerSecond);
      expect(d.roundRatios).toHaveLength(2);
      // Each request's prefix computed once (3 requests: warm-up + 2 rounds), never reused across requests.
      expect(d.engine.details.prefixCache).toMatchObject({ misses: 3 });
      expect(d.scores).toMatchObject({ compared: 18, agree: true });
      // Both against the float64 reference on the model card's prompt (transformers.js tokenization).
      const { query, documents, engine, naive } = d.scores.sample;
      expect(documents).toHaveLength(6);
      const want = (await referencePromptScores(result.modelDir, { query, documents })).map((s) => s.score);
      expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(1e-3); // able to fail
      expect(maxDiff(engine, want)).toBeLessThan(BOUND[d.dtype]);
      expect(maxDiff(naive, want)).toBeLessThan(BOUND[d.dtype]);
      if (d.dtype === 'q8') expect(maxDiff(naive, want)).toBeGreaterThan(1e-6); // the int8 graph ran
    }
    // Scores that disagree void the comparison, and the report says so.
    const void_ = { ...result.dtypes[0]!, scores: { ...result.dtypes[0]!.scores, agree: false } };
    expect(llmMarkdown({ ...result, dtypes: [void_] })).toContain('SCORES DISAGREE');
    expect(llmMarkdown(result)).not.toContain('SCORES DISAGREE');
  }, 180_000);
});
