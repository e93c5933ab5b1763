import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  expectCardsToShow,
  launchChromium,
  openDashboard,
  screenshot,
  shownByKey,
  waitTicks,
} from './dashboard-browser';
import { get, type Json, Probe, post, probedReference, QUERY } from './helpers';
import { type MultiServer, startMultiServer } from './multi-server';

// The dashboard's per-model view in headless chromium: a server over three synthesized models
// (random weights); the menu switches the cards to one model's block of /metrics, and "all models"
// back to the flat keys; the list of models shows GET /v1/models's states.
let browser: Browser;
let server: MultiServer;

beforeAll(async () => {
  [browser, server] = await Promise.all([
    launchChromium(),
    startMultiServer({
      models: [
        { name: 'minilm', preset: 'tiny' },
        { name: 'xlmr', preset: 'tiny-xlmr' },
        { name: 'modern', preset: 'tiny-modernbert' },
      ],
      backends: () => [probedReference(new Probe())],
    }),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('the model menu shows one model’s block of /metrics, "all models" the flat keys, and the states', async () => {
  // Different traffic per model, so a card showing another model's (or the server's) figures fails.
  for (let i = 0; i < 3; i++) {
    const docs = [`minilm ${i} a`, `minilm ${i} b`];
    expect(
      (await post(`${server.url}/rerank`, { model: 'minilm', query: QUERY, documents: docs })).status,
    ).toBe(200);
  }
  for (let i = 0; i < 2; i++) {
    const docs = [`xlmr ${i} a`, `xlmr ${i} b`, `xlmr ${i} c`, `xlmr ${i} d`];
    expect(
      (await post(`${server.url}/rerank`, { model: 'xlmr', query: QUERY, documents: docs })).status,
    ).toBe(200);
  }
  const metrics = (await get(`${server.url}/metrics`)).body;
  expect(metrics.models.minilm.total_requests).toBe(3);
  expect(metrics.models.xlmr.total_requests).toBe(2);

  const { page, problems, close } = await openDashboard(browser, server.url);
  await waitTicks(page, 2);

  // The states as GET /v1/models gives them: modern was never asked for.
  const listed = (await get(`${server.url}/v1/models`)).body.data as Json[];
  const states = await page.$$eval('[data-testid="model-states"] li', (items) =>
    items.map((li) => [(li as HTMLElement).dataset.model, (li as HTMLElement).dataset.state]),
  );
  expect(states).toEqual(listed.map((m) => [m.id, m.state]));
  expect(Object.fromEntries(states)).toEqual({ minilm: 'loaded', xlmr: 'loaded', modern: 'unloaded' });
  const options = await page.$$eval('#view-model option', (os) =>
    os.map((o) => (o as HTMLOptionElement).value),
  );
  expect(options).toEqual(['', 'minilm', 'xlmr', 'modern']);

  // All models: the flat keys.
  await expectCardsToShow(page, metrics, 'all models');
  expect(await page.locator('#card-workers').textContent()).toBe('Worker utilisation');

  await page.selectOption('#view-model', 'xlmr');
  await expectCardsToShow(page, metrics.models.xlmr, 'xlmr');
  await waitTicks(page, 1);
  const onPage = await shownByKey(page);
  expect(onPage.active).toBe(metrics.models.xlmr.controller.active);
  expect(onPage.waiting).toBe(metrics.models.xlmr.controller.waiting);
  expect(await page.getByTestId('model').textContent()).toBe('xlmr');
  // Server-wide cards say so in a model's view.
  expect(await page.locator('#card-workers').textContent()).toBe('Worker utilisation (all models)');
  console.log('per-model view screenshot:', await screenshot(page, 'dashboard-model-xlmr.png'));

  await page.selectOption('#view-model', 'minilm');
  await expectCardsToShow(page, metrics.models.minilm, 'minilm');

  // A model not loaded: no requests, no queue.
  await page.selectOption('#view-model', 'modern');
  await expectCardsToShow(page, metrics.models.modern, 'modern');
  expect(metrics.models.modern.total_requests).toBe(0);
  expect(await page.getByTestId('queue:active').textContent()).toBe('model not loaded');

  await page.selectOption('#view-model', '');
  await expectCardsToShow(page, metrics, 'all models again');
  expect(await page.getByTestId('model').textContent()).toBe('minilm');
  expect(problems).toEqual([]);
  await close();
}, 120_000);
