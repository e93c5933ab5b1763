import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../src/run';
import { SAMPLE_PASSAGES, SAMPLE_QUERY } from '../src/sample';
import { buildPage, expectReport, launchChromium, rankOnPage, scoresByIndex, startPreview } from './harness';

// The demo page built for production, served by `vite preview`, driven in Debian's chromium.
// The model is the testkit's tiny synthesized model (random weights): its scores carry no meaning, they
// are compared with the testkit's independent float64 reference.
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');
const TOLERANCE = 1e-4;

let model: string;
/** The same weights with the fused graphs @reranker/node builds (If + com.microsoft MultiHeadAttention). */
let fusedModel: string;
let expected: number[];
let outDir: string;
let isolated: Awaited<ReturnType<typeof startPreview>>;
let plain: Awaited<ReturnType<typeof startPreview>>;
let browser: Browser;

beforeAll(async () => {
  const [dir, fusedDir] = await Promise.all([
    synthesizedModelDir('tiny'),
    synthesizedModelDir('tiny', { layout: { operators: 'fused' } }),
  ]);
  const modelsDir = dirname(dir);
  model = `/models/${basename(dir)}`;
  fusedModel = `/models/${basename(fusedDir)}`;
  [expected, outDir, browser] = await Promise.all([
    referencePairScores(dir, SAMPLE_QUERY, SAMPLE_PASSAGES),
    buildPage(modelsDir),
    launchChromium({ webgpu: false }),
  ]);
  [isolated, plain] = await Promise.all([
    startPreview({ outDir, modelsDir, isolation: true }),
    startPreview({ outDir, modelsDir, isolation: false }),
  ]);
});

afterAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  await writeFile(join(ARTIFACTS, 'runs.json'), `${JSON.stringify(runs, null, 2)}\n`);
  await Promise.all([browser?.close(), isolated?.close(), plain?.close()]);
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

// What each path measured (device, threads, timings, largest difference from the reference), written
// next to the screenshot as test-artifacts/runs.json.
const runs: Record<string, unknown> = {};

function record(name: string, report: RunReport): void {
  const scores = scoresByIndex(report);
  runs[name] = {
    device: report.device,
    threads: report.threads,
    crossOriginIsolated: report.crossOriginIsolated,
    fallbacks: report.fallbacks,
    timings: report.timings,
    maxAbsDiff: Math.max(...scores.map((score, i) => Math.abs(score - expected[i]!))),
  };
}

function expectReferenceScores(scores: number[]): void {
  expect(scores).toHaveLength(expected.length);
  for (const [i, score] of scores.entries()) {
    expect(Math.abs(score - expected[i]!), `passage ${i}`).toBeLessThan(TOLERANCE);
  }
}

describe('wasm', () => {
  it('without COOP/COEP runs single-threaded and matches the reference', async () => {
    const run = await rankOnPage(browser, plain.url, { model, device: 'wasm', threads: '2' });
    const report = expectReport(run);
    record('wasm-plain', report);
    expect(report).toMatchObject({ backend: 'onnxruntime-web', device: 'wasm', crossOriginIsolated: false });
    // Two threads were asked for; without isolation there is no SharedArrayBuffer, so one runs.
    expect(report.threads).toBe(1);
    expectReferenceScores(scoresByIndex(report));
    for (const r of report.results) expect(r.text).toBe(SAMPLE_PASSAGES[r.index]);
    await run.page.close();
  });

  it('with COOP/COEP is cross-origin isolated, runs two threads, matches the reference; screenshot', async () => {
    const run = await rankOnPage(browser, isolated.url, { model, device: 'wasm', threads: '2' });
    const report = expectReport(run);
    record('wasm-isolated', report);
    expect(report).toMatchObject({ device: 'wasm', crossOriginIsolated: true, threads: 2 });
    expectReferenceScores(scoresByIndex(report));
    // What the user sees: one list item per passage, best first, and the run details.
    const shown = await run.page
      .getByTestId('result')
      .evaluateAll((items) => items.map((item) => Number((item as HTMLElement).dataset.index)));
    expect(shown).toEqual(report.results.map((r) => r.index));
    expect(await run.page.getByTestId('info-threads').textContent()).toBe('2');
    await mkdir(ARTIFACTS, { recursive: true });
    const png = join(ARTIFACTS, 'ranked.png');
    await writeFile(png, await run.page.screenshot({ fullPage: true }));
    const bytes = await readFile(png);
    expect(bytes.length).toBeGreaterThan(1000);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    await run.page.close();
  });
});

it('auto falls back to wasm without --enable-unsafe-webgpu, and the page says why', async () => {
  const run = await rankOnPage(browser, isolated.url, { model, device: 'auto' });
  const report = expectReport(run);
  record('auto-fallback', report);
  expect(report.device).toBe('wasm');
  expect(report.fallbacks).toEqual([
    {
      candidate: 'onnxruntime-web:webgpu',
      message: expect.stringMatching(/requestAdapter\(\) returned null/),
    },
  ]);
  expect(await run.page.getByTestId('info-fallback').textContent()).toMatch(
    /^onnxruntime-web:webgpu: WebGPU is not/,
  );
  expectReferenceScores(scoresByIndex(report));
  await run.page.close();
});

it('shows a missing model as an error on the page', async () => {
  const run = await rankOnPage(browser, isolated.url, { model: '/models/no-such-model', device: 'wasm' });
  expect(run.result).toMatchObject({ ok: false, error: { code: 'MODEL_LOAD_FAILED' } });
  await expect
    .poll(() => run.page.getByTestId('error').textContent())
    .toMatch(/MODEL_LOAD_FAILED: .*no-such-model\/config\.json answered 404/);
  expect(await run.page.getByTestId('status').getAttribute('data-state')).toBe('error');
  await run.page.close();
});

describe('webgpu (SwiftShader software adapter, --enable-unsafe-webgpu)', () => {
  let gpuBrowser: Browser;
  beforeAll(async () => {
    gpuBrowser = await launchChromium({ webgpu: true });
  });
  afterAll(() => gpuBrowser?.close());

  // SwiftShader compiles and runs every shader on the CPU: ~20 s here, so a longer budget than the rest.
  it('runs on webgpu and matches the reference', { timeout: 120_000 }, async () => {
    const run = await rankOnPage(gpuBrowser, isolated.url, { model, device: 'webgpu' }, 110_000);
    const report = expectReport(run);
    record('webgpu', report);
    expect(report).toMatchObject({ backend: 'onnxruntime-web', device: 'webgpu', fallbacks: [] });
    expectReferenceScores(scoresByIndex(report));
    await run.page.close();
  });

  // The graph @reranker/node builds: each attention an If (flash MultiHeadAttention without a mask
  // when no row is padded, the standard nodes otherwise). Builder version 2 gave MultiHeadAttention a
  // key_padding_mask, which WebGPU refuses; a graph WebGPU cannot run still falls back at load
  // (browser-llm.test.ts: the prefix graph's zero-sized MatMul).
  it('auto: the fused graph @reranker/node builds runs on webgpu and matches the reference', {
    timeout: 120_000,
  }, async () => {
    const run = await rankOnPage(gpuBrowser, isolated.url, { model: fusedModel, device: 'auto' }, 110_000);
    const report = expectReport(run);
    record('webgpu-fused', report);
    expect(report).toMatchObject({ device: 'webgpu', fallbacks: [] });
    expectReferenceScores(scoresByIndex(report));
    await run.page.close();
  });

  // One passage: no row is padded, so the If takes its flash branch (MultiHeadAttention without a mask).
  it('the fused graph on webgpu, one passage (flash branch): within the tolerance of the reference', {
    timeout: 120_000,
  }, async () => {
    const one = [SAMPLE_PASSAGES[2]!];
    const run = await rankOnPage(
      gpuBrowser,
      isolated.url,
      { model: fusedModel, device: 'webgpu' },
      110_000,
      one,
    );
    const report = expectReport(run);
    expect(report).toMatchObject({ device: 'webgpu', fallbacks: [] });
    expect(report.results).toHaveLength(1);
    expect(Math.abs(report.results[0]!.score - expected[2]!)).toBeLessThan(TOLERANCE);
    await run.page.close();
  });
});
