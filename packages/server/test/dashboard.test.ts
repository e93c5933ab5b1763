import { referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP } from '../src/routes/dashboard';
import {
  driveLoad,
  expectCardsToShow,
  launchChromium,
  openDashboard,
  screenshot,
  shown,
  waitTicks,
} from './dashboard-browser';
import { DOCS, get, post, QUERY, startServer, type TestServer } from './helpers';

// The dashboard in Debian's headless chromium against a real server over the testkit's tiny model.
let browser: Browser;
let t: TestServer;

beforeAll(async () => {
  [browser, t] = await Promise.all([
    launchChromium(),
    startServer({ instrument: true, engine: { maxParallel: 2, maxQueue: 4 } }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('GET /dashboard', () => {
  it('loads under its own strict CSP with no console errors and shows the server', async () => {
    const res = await fetch(`${t.url}/dashboard`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toContain('unsafe');
    // No inline script or style in the page itself: all of it comes from files.
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);

    const { page, problems, close } = await openDashboard(browser, t.url);
    await waitTicks(page, 2);
    const info = (await get(`${t.url}/info`)).body;
    expect(await page.getByTestId('model').textContent()).toBe(info.model_id);
    expect(await page.getByTestId('backend').textContent()).toBe(info.backend);
    expect(await page.getByTestId('device').textContent()).toBe(info.device);
    expect(await page.getByTestId('dtype').textContent()).toBe(info.dtype);
    expect(await page.getByTestId('version').textContent()).toBe(info.version);
    expect(await page.getByTestId('uptime').textContent()).toMatch(/^\d{2}:\d{2}:\d{2}$/);
    expect(await page.getByTestId('status').textContent()).toBe('live');
    // A cross-encoder takes no instruction: the playground does not offer one.
    expect(await page.getByTestId('play-instruction').isVisible()).toBe(false);
    expect(problems).toEqual([]);
    await close();
  });

  it('under load the numbers move and agree with /metrics (screenshots light and dark)', async () => {
    const light = await openDashboard(browser, t.url, 'light');
    const dark = await openDashboard(browser, t.url, 'dark');
    await waitTicks(light.page, 1);
    const before = await shown(light.page, 'throughput:requests');
    // Fresh query per request half of the time, so the cache ratio is neither 0 nor 1.
    const load = driveLoad(
      t.url,
      (n) => ({ query: n % 2 === 0 ? QUERY : `${QUERY} ${n}`, documents: DOCS, top_k: 3 }),
      6,
    );
    try {
      await waitTicks(light.page, 3);
      const rps = await shown(light.page, 'throughput:requests/s');
      const dps = await shown(light.page, 'throughput:documents/s');
      expect(rps).toBeGreaterThan(0);
      // Each request scores the 5 documents (cached pairs count as scored too).
      expect(dps).toBeGreaterThan(0);
      expect(await shown(light.page, 'throughput:requests')).toBeGreaterThan(before);
      expect(await shown(light.page, 'batch-rows:batches')).toBeGreaterThan(0);
      expect(await shown(light.page, 'cache:since start')).toBeGreaterThan(0);
      expect(await shown(light.page, 'cache:since start')).toBeLessThan(1);
      await waitTicks(dark.page, 3);
      console.log(
        'screenshots:',
        await screenshot(light.page, 'dashboard-light.png'),
        await screenshot(dark.page, 'dashboard-dark.png'),
      );
    } finally {
      await load.stop();
    }
    expect(load.statuses.length).toBeGreaterThan(0);
    // Once the load stopped the totals stand still: the page's last poll equals /metrics.
    const metrics = (await get(`${t.url}/metrics`)).body.metrics;
    const onPage = await expectCardsToShow(light.page, metrics, 'after the load');
    expect(metrics.total_requests).toBeGreaterThanOrEqual(load.statuses.length);
    expect(onPage.waiting).toBe(0);
    expect(onPage.active).toBe(0);
    expect(light.problems).toEqual([]);
    expect(dark.problems).toEqual([]);
    await Promise.all([light.close(), dark.close()]);
  });

  it('counts 503s when the queue is full', async () => {
    const { page, problems, close } = await openDashboard(browser, t.url);
    await waitTicks(page, 1);
    t.probe.hold();
    let settled = 0;
    // Fresh queries: a cached pair would be answered without reaching the held backend.
    const held = Array.from({ length: 12 }, (_, i) =>
      post(`${t.url}/rerank`, { query: `held ${i} ${Date.now()}`, documents: DOCS }).finally(() => settled++),
    );
    let statuses: number[];
    try {
      // 2 running + 4 queued are held; the other 6 are refused at once.
      await expect.poll(() => settled, { timeout: 15_000 }).toBe(6);
      await waitTicks(page, 2);
      expect(await shown(page, 'queue:active')).toBe(2);
      expect(await shown(page, 'queue:waiting')).toBe(4);
    } finally {
      t.probe.release();
      statuses = (await Promise.all(held)).map((r) => r.status);
    }
    const refused = statuses.filter((s) => s === 503).length;
    expect(refused).toBe(6);
    await waitTicks(page, 2);
    expect(await shown(page, 'unavailable:total 503')).toBeGreaterThanOrEqual(refused);
    expect(problems).toEqual([]);
    await close();
  });

  it('the playground ranks as POST /rerank and the reference do, with tokens and truncation', async () => {
    const { page, problems, close } = await openDashboard(browser, t.url);
    const long = `solar ${'photovoltaic panel inverter current '.repeat(200)}`;
    const documents = [...DOCS, long];
    await page.getByLabel('Query').fill(QUERY);
    await page.getByLabel('Documents, one per line').fill(documents.join('\n'));
    await page.getByLabel('Top n (0: all)').fill('4');
    // Keyboard only: Enter in the query field submits the form.
    await page.getByLabel('Query').press('Enter');
    await page.locator('[data-testid="play-results"] li').nth(3).waitFor();
    const ranked = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('[data-testid="play-results"] li')].map((li) => ({
        index: Number(li.dataset.index),
        score: Number(li.dataset.score),
        text: li.querySelector('.facts-line')!.textContent!,
        width: li.querySelector<HTMLElement>('.bar span')!.style.width,
      })),
    );
    const api = (await post(`${t.url}/rerank`, { query: QUERY, documents, top_k: 4 })).body;
    expect(ranked.map((r) => r.index)).toEqual(api.results.map((r: { index: number }) => r.index));
    expect(ranked.map((r) => r.score)).toEqual(api.results.map((r: { score: number }) => r.score));
    const expected = await referencePairScores(await synthesizedModelDir('tiny'), QUERY, DOCS);
    for (const r of ranked) {
      if (r.index < DOCS.length) expect(Math.abs(r.score - expected[r.index]!)).toBeLessThan(1e-4);
      const relevance = api.results.find((a: { index: number }) => a.index === r.index).relevance_score;
      expect(Number.parseFloat(r.width)).toBeCloseTo(relevance * 100, 1);
      expect(r.text).toContain(`relevance ${relevance.toFixed(4)}`);
      expect(r.text).toMatch(/\d+ tokens/);
      expect(r.text.includes('truncated')).toBe(r.index === DOCS.length);
    }
    expect(await page.getByTestId('play-status').textContent()).toMatch(
      /^4 of 6 documents in [\d.]+ ms \(server [\d.]+ ms\)$/,
    );
    expect(problems).toEqual([]);
    await close();
  });
});

describe('with API keys and METRICS_REQUIRE_AUTH', () => {
  it('asks for a key, then works', async () => {
    const server = await startServer({ config: { apiKeys: ['k-dash'], metricsRequireAuth: true } });
    try {
      expect((await get(`${server.url}/dashboard/stats`)).status).toBe(401);
      const { page, problems, close } = await openDashboard(browser, server.url);
      await page.getByLabel('API key').waitFor({ state: 'visible' });
      expect(await page.getByTestId('status').textContent()).toMatch(/needs an API key/);
      expect(await page.getByTestId('model').textContent()).toBe('…');
      await page.getByLabel('API key').fill('k-dash');
      await page.getByLabel('API key').press('Enter');
      await waitTicks(page, 2);
      expect(await page.getByLabel('API key').isVisible()).toBe(false);
      expect(await page.getByTestId('model').textContent()).toBe(server.app.service.modelName);
      expect(await page.evaluate(() => sessionStorage.getItem('reranker-dashboard-key'))).toBe('k-dash');
      await page.getByLabel('Query').fill(QUERY);
      await page.getByLabel('Documents, one per line').fill(DOCS.join('\n'));
      await page.getByRole('button', { name: 'Rerank' }).click();
      await page
        .locator('[data-testid="play-results"] li')
        .nth(DOCS.length - 1)
        .waitFor();
      // The 401s before the key was given are the only console errors (the browser logs failed fetches).
      expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
      await close();
    } finally {
      await server.close();
    }
  });
});

describe('DASHBOARD=false', () => {
  it('answers 404 for the page, its files and its stats', async () => {
    const server = await startServer({ config: { dashboard: false } });
    try {
      for (const path of ['/dashboard', '/dashboard/app.js', '/dashboard/stats']) {
        const res = await get(`${server.url}${path}`);
        expect(res.status, path).toBe(404);
        expect(res.body.error.code).toBe('NOT_FOUND');
      }
    } finally {
      await server.close();
    }
  });
});
