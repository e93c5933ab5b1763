// `load --dashboard` against a real server over a synthesized tiny model (random weights): three
// phases, the page really polls in the open one, and a server without the page makes the run fail.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReranker } from '@reranker/node';
import { createApp, createServer, serverConfig } from '@reranker/server';
import { synthesizedModelDir } from '@reranker/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { dashboardLoadMarkdown, runDashboardLoad } from '../src/dashboard-load';
import type { LoadOptions } from '../src/load';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function start(dashboard: boolean): Promise<string> {
  const reranker = await createReranker({
    model: await synthesizedModelDir('tiny'),
    env: {},
    progress: 'none',
  });
  const config = serverConfig({ warmupOnStart: false, logLevel: 'silent', dashboard });
  const app = createApp({ reranker, config });
  await app.service.ready;
  server = await new Promise<Server>((resolve) => {
    const s = createServer(app, config).listen(0, '127.0.0.1', () => resolve(s));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const options = (url: string): LoadOptions => ({
  url,
  mode: 'load',
  requests: 30,
  concurrency: 2,
  docs: 5,
  docWords: 20,
  seed: 7,
  timeoutMs: 30_000,
  maxSeconds: 60,
  allowRemote: false,
});

describe('reranker-bench load --dashboard', () => {
  it('runs closed, open and closed phases; the open page polls the server', async () => {
    const url = await start(true);
    const result = await runDashboardLoad({ ...options(url), requests: 60 }, () => {});
    expect(result.phases.map((p) => p.page)).toEqual(['closed', 'open', 'closed']);
    for (const phase of result.phases) expect(phase.result.summary.ok).toBe(60);
    expect(result.phases[1]!.pageUpdates).toBeGreaterThan(0);
    expect(result.phases[0]!.pageUpdates + result.phases[2]!.pageUpdates).toBe(0);
    expect(new Set(result.phases.map((p) => p.result.options.seed)).size).toBe(3);
    expect(result.openOverClosed).toBeGreaterThan(0);
    expect(dashboardLoadMarkdown(result)).toContain('page open / mean of the closed phases');
  });

  it('fails when the server has no dashboard (DASHBOARD=false)', async () => {
    const url = await start(false);
    await expect(runDashboardLoad(options(url), () => {})).rejects.toThrow(/never fetched/);
  });
});
