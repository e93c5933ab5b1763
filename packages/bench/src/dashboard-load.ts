// `reranker-bench load --dashboard`: what an open /dashboard costs the requests it watches. The same
// load runs three times against one running server: page closed, page open in headless chromium
// (polling /dashboard/stats as a user's tab does), page closed again; each phase with its own seed, so
// every phase computes (no cache hits from the one before).
import { chromium } from 'playwright-core';
import { type LoadOptions, type LoadResult, runLoad } from './load';

/** Debian's chromium (no browser download); RERANKER_CHROMIUM overrides it. */
const CHROMIUM = process.env.RERANKER_CHROMIUM ?? '/usr/bin/chromium';
/** Where the page keeps its API key (packages/server/assets/dashboard/api.js). */
const PAGE_KEY = 'reranker-dashboard-key';

export interface DashboardPhase {
  page: 'closed' | 'open';
  result: LoadResult;
  docsPerSecond: number;
  /** `/dashboard/stats` answers the page received during the phase (0 when closed). */
  pageUpdates: number;
}

export interface DashboardLoadResult {
  benchmark: 'load-dashboard';
  phases: DashboardPhase[];
  /** docs/s with the page open over the mean of the two closed phases: 1 means the page costs nothing. */
  openOverClosed: number;
}

const docsPerSecond = (r: LoadResult) => (r.summary.ok * r.options.docs) / r.seconds;

export async function runDashboardLoad(
  options: LoadOptions,
  log: (line: string) => void,
): Promise<DashboardLoadResult> {
  const phases: DashboardPhase[] = [];
  for (const [i, page] of (['closed', 'open', 'closed'] as const).entries()) {
    log(`phase ${i + 1}/3: dashboard ${page}`);
    const seed = options.seed + i;
    if (page === 'closed') {
      const result = await runLoad({ ...options, seed });
      phases.push({ page, result, docsPerSecond: docsPerSecond(result), pageUpdates: 0 });
      continue;
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM });
    try {
      const tab = await browser.newPage();
      if (options.apiKey)
        await tab.addInitScript(({ name, key }) => sessionStorage.setItem(name, key), {
          name: PAGE_KEY,
          key: options.apiKey,
        });
      let updates = 0;
      tab.on('response', (response) => {
        if (response.url().includes('/dashboard/stats') && response.ok()) updates++;
      });
      await tab.goto(new URL('/dashboard', options.url).href);
      const result = await runLoad({ ...options, seed });
      if (updates === 0)
        throw new Error('the dashboard page never fetched /dashboard/stats: is DASHBOARD on?');
      phases.push({ page, result, docsPerSecond: docsPerSecond(result), pageUpdates: updates });
    } finally {
      await browser.close();
    }
  }
  const closed = phases.filter((p) => p.page === 'closed');
  const open = phases.find((p) => p.page === 'open')!;
  const closedMean = closed.reduce((sum, p) => sum + p.docsPerSecond, 0) / closed.length;
  return { benchmark: 'load-dashboard', phases, openOverClosed: open.docsPerSecond / closedMean };
}

export function dashboardLoadMarkdown(r: DashboardLoadResult): string {
  const first = r.phases[0]!.result;
  const o = first.options;
  return [
    `## load --dashboard: ${o.mode} against ${first.target}, page closed / open / closed`,
    '',
    `Up to ${o.concurrency} requests in flight, ${o.requests} requests of ${o.docs} documents per phase, seeds ${o.seed}..${o.seed + 2} (every phase computes).`,
    '',
    '| phase | page | ok | docs/s | p50 ms | p95 ms | page updates |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...r.phases.map(
      (p, i) =>
        `| ${i + 1} | ${p.page} | ${p.result.summary.ok}/${p.result.summary.total} | ${p.docsPerSecond.toFixed(1)} | ${fmt(p.result.summary.p50)} | ${fmt(p.result.summary.p95)} | ${p.pageUpdates} |`,
    ),
    '',
    `docs/s with the page open / mean of the closed phases: **${r.openOverClosed.toFixed(3)}**`,
    '',
  ].join('\n');
}

const fmt = (ms: number | undefined) => (ms === undefined ? '' : ms.toFixed(0));
