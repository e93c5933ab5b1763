import { randomUUID } from 'node:crypto';
import { createRedisCache } from '@reranker/node';
import { poll } from '@reranker/testkit/processes';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Member, startMember } from './cluster/member';
import { launchChromium, openDashboard, screenshot } from './dashboard-browser';
import { get, type Json, post, QUERY } from './helpers';

// The dashboard's per-server table in distributed mode: two servers in this process share a private
// Redis key prefix (their cluster), and the page of one lists both with the numbers /cluster and
// /metrics/cluster give, which in turn are the requests this test sent to each.
const RUN = `test:${randomUUID()}:dashboard-cluster:`;
let browser: Browser;
let a: Member;
let b: Member;

beforeAll(async () => {
  [browser, a, b] = await Promise.all([
    launchChromium(),
    startMember({ keyPrefix: RUN, registry: true }),
    startMember({ keyPrefix: RUN, registry: true }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([a?.close(), b?.close()]);
  const cleanup = createRedisCache({ keyPrefix: RUN });
  await cleanup.clear();
  await cleanup.dispose();
});

/** Documents no other request scored, so each server's backend (not the shared cache) answers. */
const fresh = (count: number) => Array.from({ length: count }, (_, i) => `passage ${i} ${randomUUID()}`);

/** A number as the page shows it (formatted to 3 significant digits, thousands with commas) equals `value`. */
function expectShown(text: string | null, value: number | null | undefined, what: string): void {
  if (value === null || value === undefined) {
    expect(text, what).toBe('–');
    return;
  }
  const shownValue = Number((text ?? '').replace(/,/g, ''));
  expect(Math.abs(shownValue - value), `${what}: page ${text}, API ${value}`).toBeLessThanOrEqual(
    Math.abs(value) * 0.005,
  );
}

it("the page of one server lists both servers, with /cluster's load and /metrics/cluster's numbers", async () => {
  // Different traffic on each, so a row showing the other server's numbers would fail.
  for (let i = 0; i < 2; i++)
    expect((await post(`${a.url}/rerank`, { query: QUERY, documents: fresh(3) })).status).toBe(200);
  for (let i = 0; i < 4; i++)
    expect((await post(`${b.url}/v2/rerank`, { query: QUERY, documents: fresh(2) })).status).toBe(200);

  // Each heartbeat (every 100 ms) publishes the server's totals: wait until both are in.
  const totals: Json = await poll(async () => {
    const body = (await get(`${a.url}/metrics/cluster`)).body;
    const requests = body.per_server?.map((s: Json) => s.requests).sort();
    return requests?.join() === '2,4' ? body : undefined;
  }, 'both servers to publish their totals');
  const cluster: Json = (await get(`${a.url}/cluster`)).body;
  expect(cluster.servers).toHaveLength(2);
  expect(cluster.self).toBe(a.registry!.id);
  const byId = new Map<string, Json>(totals.per_server.map((s: Json) => [s.id, s]));
  expect(byId.get(a.registry!.id)).toMatchObject({ requests: 2, errors: 0, documents: 6 });
  expect(byId.get(b.registry!.id)).toMatchObject({ requests: 4, errors: 0, documents: 8 });

  const { page, problems, close } = await openDashboard(browser, a.url);
  const rowsSelector = '[data-testid="cluster-rows"] tr';
  await page.waitForFunction((selector) => document.querySelectorAll(selector).length === 2, rowsSelector, {
    timeout: 20_000,
  });
  expect(await page.locator('#cluster').isVisible()).toBe(true);
  const rows = await page.$$eval(rowsSelector, (trs) =>
    trs.map((tr) => [...(tr as HTMLTableRowElement).cells].map((cell) => cell.textContent ?? '')),
  );
  console.log('cluster table screenshot:', await screenshot(page, 'dashboard-cluster.png'));

  expect(rows.map((cells) => cells[0]).sort()).toEqual(
    [`${a.registry!.id} (this one)`, b.registry!.id].sort(),
  );
  for (const server of cluster.servers as Json[]) {
    const cells = rows.find((r) => r[0]!.startsWith(server.id))!;
    const t = byId.get(server.id)!;
    expect(cells[1]).toBe(`${server.host}:${server.port}`);
    expect([a.url, b.url]).toContain(`http://${cells[1]}`);
    expectShown(cells[2]!, server.load.active, 'active');
    expectShown(cells[3]!, server.load.waiting, 'waiting');
    expectShown(cells[4]!, t.requests, 'requests');
    expectShown(cells[5]!, t.errors, 'errors');
    expectShown(cells[6]!, t.documents, 'documents');
    expectShown(cells[7]!, t.latency_ms.p50, 'p50');
    expectShown(cells[8]!, t.latency_ms.p95, 'p95');
    expectShown(cells[9]!, t.latency_ms.p99, 'p99');
    expect(t.latency_ms.p50).toBeGreaterThan(0);
  }
  expect(await page.getByTestId('cluster-summary').textContent()).toMatch(
    /^2 servers · 6 requests · 0 errors · 14 documents · p95 [\d.,]+ ms$/,
  );
  expect(problems).toEqual([]);
  await close();
});
