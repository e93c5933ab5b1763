// Runs `table` for real on the tiny synthesized model (random weights): the shape of the rows and of
// the files, never the figures (no timing assertions).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openLocalModel } from '@reranker/node';
import { synthesizedModelDir } from '@reranker/testkit';
import { describe, expect, it } from 'vitest';
import { runTable, type TableResult } from '../src/table';
import { openBackend } from '../src/table-backends';
import { tableMarkdown } from '../src/table-report';
import { benchCli, suiteTempDir } from './bench-cli';

const cli = (args: string[]) => benchCli(args, 120_000);

describe('table on the tiny preset', () => {
  const dir = suiteTempDir('bench-table-');

  it('measures cpu and wasm rows and gives cuda and coreml rows their reasons', async () => {
    const result = await runTable(
      {
        presets: ['tiny'],
        backends: ['cpu', 'wasm', 'cuda', 'coreml'],
        batchSizes: [4],
        dtype: 'fp32',
        docs: 8,
        requests: 2,
        durationS: 1,
        seed: 1,
      },
      () => {},
    );
    const row = (backend: string) => result.rows.find((r) => r.backend === backend)!;
    expect(result.rows.map((r) => [r.backend, r.batchSize])).toEqual([
      ['cpu', 4],
      ['wasm', 4],
      ['cuda', 4],
      ['coreml', 4],
    ]);
    for (const backend of ['cpu', 'wasm']) {
      expect(row(backend), backend).toMatchObject({ status: 'measured', requests: 2, device: backend });
      expect(row(backend).docsPerSecond).toBeGreaterThan(0);
      expect(row(backend).latencyMs!.p95).toBeGreaterThanOrEqual(row(backend).latencyMs!.p50);
    }
    if (process.platform !== 'darwin') {
      expect(row('coreml')).toMatchObject({ status: 'unavailable' });
      expect(row('coreml').reason).toMatch(/CoreML execution provider exists on macOS only/);
    }
    // No GPU build of onnxruntime-node on this CI: cuda must say why, not pretend to be measured.
    if (row('cuda').status !== 'measured') expect(row('cuda').reason).toMatch(/\w/);
    expect(result.models[0]).toMatchObject({ name: 'tiny', synthesized: true });
    expect(result.models[0]!.pairTokens.max).toBeLessThanOrEqual(256);
  });

  it('an LLM reranker beside a cross-encoder: tiny-qwen3 on cpu and wasm (graph built at load)', async () => {
    const result = await runTable(
      {
        presets: ['tiny', 'tiny-qwen3'],
        backends: ['cpu', 'wasm'],
        batchSizes: [4],
        dtype: 'q8',
        docs: 4,
        requests: 1,
        durationS: 1,
        seed: 1,
      },
      () => {},
    );
    expect(result.rows.map((r) => [r.model, r.backend, r.status])).toEqual([
      ['tiny', 'cpu', 'measured'],
      ['tiny', 'wasm', 'measured'],
      ['tiny-qwen3', 'cpu', 'measured'],
      ['tiny-qwen3', 'wasm', 'measured'],
    ]);
    expect(result.models.map((m) => [m.name, m.kind])).toEqual([
      ['tiny', 'cross-encoder'],
      ['tiny-qwen3', 'decoder-yes-no'],
    ]);
    // The pair of an LLM reranker counts query and document, in the same 128–256 range.
    const qwen = result.models[1]!.pairTokens;
    expect(qwen.min).toBeGreaterThanOrEqual(100);
    expect(qwen.max).toBeLessThanOrEqual(256);
    expect(tableMarkdown(result)).toContain(
      "An LLM reranker: a pair counts the query's and the document's tokens",
    );
  });

  it('wasm refuses a graph with external data, saying why (the web backend reads one file)', async () => {
    const dir = await synthesizedModelDir('tiny', { layout: { onnx: 'external-data' } });
    const files = await openLocalModel(dir, 'fp32', 'tiny');
    await expect(openBackend('wasm', { location: dir, files }, 'fp32')).rejects.toThrow(
      /external data \(onnx\/model\.onnx_data.*measure wasm with --dtype q8/,
    );
  });

  it('writes markdown, JSON and the chart from the command line', async () => {
    const out = await dir;
    const run = await cli([
      'table',
      '--presets',
      'tiny',
      '--backends',
      'cpu,coreml',
      '--batch-sizes',
      '4',
      '--docs',
      '4',
      '--requests',
      '1',
      '--json',
      join(out, 't.json'),
      '--chart',
      join(out, 't.svg'),
    ]);
    expect(run.stderr).not.toMatch(/Error:/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      '| Backend | Batch Size | Documents/sec | Latency p50 | Latency p95 | Note |',
    );
    expect(run.stdout).toContain('synthesized model, random weights');
    const json = JSON.parse(await readFile(join(out, 't.json'), 'utf8')) as TableResult;
    expect(json.commandLine).toMatch(/^pnpm -s bench table --presets tiny --backends cpu,coreml/);
    expect(json.machine.cores).toBeGreaterThan(0);
    expect(json.rows.map((r) => r.status)).toEqual([
      'measured',
      process.platform === 'darwin' ? 'measured' : 'unavailable',
    ]);
    const svg = await readFile(join(out, 't.svg'), 'utf8');
    expect(svg.match(/<rect class="bar" data-series="docs\/s"/g)).toHaveLength(
      json.rows.filter((r) => r.status === 'measured').length,
    );
  });

  it('rejects a bad --backends value listing the valid ones, and --presets with --model', async () => {
    const bad = await cli(['table', '--backends', 'cpu,gpu']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(
      "unknown backend 'gpu': use a comma-separated list of cpu, wasm, cuda, coreml, mlx",
    );
    const both = await cli(['table', '--presets', 'tiny', '--model', './somewhere']);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('--presets and --model exclude each other');
  });
});
