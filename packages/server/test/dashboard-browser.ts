import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { type Json, post } from './helpers';

/** Debian's chromium: the tests never download a browser (as examples/browser does). */
export const CHROMIUM = process.env.RERANKER_CHROMIUM ?? '/usr/bin/chromium';

/** Where screenshots go (CI uploads this folder as an artifact). */
export const ARTIFACTS = process.env.RERANKER_ARTIFACTS ?? join(tmpdir(), 'reranker-artifacts', 'dashboard');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
}

/** A page in a fresh context, with every console error, page error and CSP violation collected. */
export async function openDashboard(
  browser: Browser,
  url: string,
  colorScheme: 'light' | 'dark' = 'light',
): Promise<{ page: Page; problems: string[]; close(): Promise<void> }> {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1280, height: 1100 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  await page.exposeFunction('__reportViolation', (text: string) => problems.push(`csp: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { __reportViolation(text: string): void }).__reportViolation(
        `${event.violatedDirective} ${event.blockedURI}`,
      );
    });
  });
  await page.goto(`${url}/dashboard`);
  return { page, problems, close: () => context.close() };
}

/** Waits until the page has polled the stats `count` more times. */
export async function waitTicks(page: Page, count: number): Promise<void> {
  const start = Number((await page.locator('body').getAttribute('data-ticks')) ?? 0);
  await page.waitForFunction((target) => Number(document.body.dataset.ticks ?? 0) >= target, start + count, {
    timeout: 20_000,
  });
}

/** The raw value behind a displayed number (`data-value` of `[data-testid="card:label"]`). */
export async function shown(page: Page, testid: string): Promise<number> {
  return Number(await page.getByTestId(testid).getAttribute('data-value'));
}

/** Every number the page shows that /metrics also has, by its /metrics key. */
export function shownByKey(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll<HTMLElement>('[data-key]')].map((node) => [
        node.dataset.key!,
        Number(node.dataset.value),
      ]),
    ),
  );
}

/** The /metrics keys the stat cards show (data-key). */
const CARD_KEYS = [
  'total_requests',
  'documents_scored',
  'p50_wait_time_ms',
  'p95_wait_time_ms',
  'p99_wait_time_ms',
  'p50_process_time_ms',
  'p95_process_time_ms',
  'p99_process_time_ms',
  'cache_hit_rate',
  'avg_rows_per_batch',
  'avg_tokens_per_batch',
  'batches',
];

/**
 * Waits until the page's cards show `block`'s total_requests, then expects every card to show
 * `block`'s figure (a block of /metrics: the flat keys or one model's). Returns what the page shows.
 */
export async function expectCardsToShow(
  page: Page,
  block: Json,
  what: string,
): Promise<Record<string, number>> {
  await page.waitForFunction(
    (total) =>
      document.querySelector<HTMLElement>('[data-key="total_requests"]')?.dataset.value === String(total),
    block.total_requests,
    { timeout: 20_000 },
  );
  const onPage = await shownByKey(page);
  for (const key of CARD_KEYS) expect(onPage[key], `${what}: ${key}`).toBe(block[key]);
  return onPage;
}

/** Keeps `parallel` loops of native POST /rerank going until `stop()`; counts what was answered. */
export function driveLoad(url: string, body: (n: number) => Json, parallel: number) {
  let running = true;
  let sent = 0;
  const statuses: number[] = [];
  const loops = Array.from({ length: parallel }, async () => {
    while (running) statuses.push((await post(`${url}/rerank`, body(sent++))).status);
  });
  return {
    statuses,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}
