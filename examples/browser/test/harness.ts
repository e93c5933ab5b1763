import { mkdtemp } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build, preview } from 'vite';
import { appConfig } from '../app-config';
import type { RunFailure, RunReport } from '../src/run';

/** Debian's chromium: the tests never download a browser (`playwright install` is not used). */
export const CHROMIUM = process.env.RERANKER_CHROMIUM ?? '/usr/bin/chromium';

/** Builds the page once into a temp folder (production output, as `pnpm --filter browser build` writes it). */
export async function buildPage(modelsDir: string): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'reranker-browser-dist-'));
  await build({ configFile: false, logLevel: 'warn', ...appConfig({ outDir, modelsDir }) });
  return outDir;
}

/** `vite preview` of the built page on 127.0.0.1 and a free port, with or without COOP/COEP. */
export async function startPreview(options: { outDir: string; modelsDir: string; isolation: boolean }) {
  const config = appConfig(options);
  const server = await preview({
    configFile: false,
    logLevel: 'warn',
    ...config,
    preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false },
  });
  const { port } = server.httpServer.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

/**
 * Headless chromium with a fresh profile (playwright makes a temp user-data dir per launch). WebGPU
 * needs `--enable-unsafe-webgpu` on Linux; with `--disable-gpu` it gets SwiftShader's software adapter.
 */
export function launchChromium(options: { webgpu: boolean }): Promise<Browser> {
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ];
  if (options.webgpu) args.push('--enable-unsafe-webgpu');
  return chromium.launch({ executablePath: CHROMIUM, args });
}

/**
 * Opens the page with `params` (model, device, threads…) and the sample loaded (its passages replaced
 * by `passages` when given), clicks Rerank and returns what the page published as
 * `window.__lastResult`, with the page (still open) and its console.
 */
export async function rankOnPage(
  browser: Browser,
  url: string,
  params: Record<string, string>,
  timeoutMs = 50_000,
  passages?: string[],
): Promise<{ page: Page; result: RunReport | RunFailure; console: string[] }> {
  const page = await browser.newPage();
  const console: string[] = [];
  page.on('console', (message) => console.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => console.push(`pageerror: ${error.message}`));
  await page.goto(`${url}/?${new URLSearchParams({ ...params, sample: '1' })}`);
  if (passages) await page.getByTestId('passages').fill(passages.join('\n'));
  await page.getByTestId('rerank').click();
  await page.waitForFunction(() => window.__lastResult !== undefined, null, { timeout: timeoutMs });
  const result = await page.evaluate(() => window.__lastResult!);
  return { page, result, console };
}

/** The report, or a failure that shows what the page said. */
export function expectReport(run: { result: RunReport | RunFailure; console: string[] }): RunReport {
  if (!run.result.ok) {
    throw new Error(
      `the page failed: ${JSON.stringify(run.result.error)}\nconsole:\n${run.console.join('\n')}`,
    );
  }
  return run.result;
}

/** Scores of the ranked list back in input order, to compare with the reference. */
export function scoresByIndex(report: RunReport): number[] {
  const scores: number[] = [];
  for (const r of report.results) scores[r.index] = r.score;
  return scores;
}
