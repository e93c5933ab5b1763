import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium, openDashboard, waitTicks } from './dashboard-browser';
import { get, type TestServer } from './helpers';
import { INSTRUCTION, LLM_DOCS, LLM_QUERY, oracle, oracleOrder, startLlmServer } from './llm-helpers';

// The dashboard's playground in headless chromium against an LLM reranker (tiny Qwen3 on the float64
// reference decoder backend): the instruction field appears, and what it sends is what gets scored.
let browser: Browser;
let t: TestServer;

beforeAll(async () => {
  [browser, t] = await Promise.all([launchChromium(), startLlmServer()]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

it('offers an instruction (the default as placeholder) and ranks with it as the oracle does', async () => {
  const { page, problems, close } = await openDashboard(browser, t.url);
  await waitTicks(page, 1);
  const field = page.getByLabel(/^Instruction/);
  expect(await field.isVisible()).toBe(true);
  const info = (await get(`${t.url}/info`)).body;
  expect(await field.getAttribute('placeholder')).toBe(info.default_instruction);

  const rank = async () => {
    await page.getByLabel('Query').fill(LLM_QUERY);
    await page.getByLabel('Documents, one per line').fill(LLM_DOCS.join('\n'));
    await page.locator('[data-testid="play-results"]').evaluate((list) => list.replaceChildren());
    await page.getByLabel('Query').press('Enter');
    await page
      .locator('[data-testid="play-results"] li')
      .nth(LLM_DOCS.length - 1)
      .waitFor();
    return page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('[data-testid="play-results"] li')].map((li) => ({
        index: Number(li.dataset.index),
        score: Number(li.dataset.score),
      })),
    );
  };
  for (const instruction of [INSTRUCTION, '']) {
    await field.fill(instruction);
    const ranked = await rank();
    const expected = await oracle(instruction ? { instruction } : {});
    expect(ranked.map((r) => r.index)).toEqual(oracleOrder(expected));
    for (const r of ranked) expect(Math.abs(r.score - expected[r.index]!.score)).toBeLessThan(1e-5);
  }
  expect(problems).toEqual([]);
  await close();
});
