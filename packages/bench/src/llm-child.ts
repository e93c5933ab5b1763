// Child process of `reranker-bench llm`: one variant (one createReranker) per process, so its peak
// resident memory (VmHWM) is its own. Driven over the IPC channel by llm-process.ts.
import { silentLogger, type UnifiedReRanker } from '@reranker/core';
import { createReranker } from '@reranker/node';
import type { ChildReply, ChildRequest } from './llm-process';
import { startPeakRss } from './peak-rss';

let reranker: UnifiedReRanker | undefined;
let servingPeak: ReturnType<typeof startPeakRss> | undefined;

const send = (reply: ChildReply) => process.send?.(reply);

async function handle(request: ChildRequest): Promise<void> {
  switch (request.type) {
    case 'init': {
      const loadPeak = startPeakRss();
      const started = performance.now();
      reranker = await createReranker({
        ...request.options,
        env: {},
        cacheEnabled: false,
        // A 20-document request of a 0.6B decoder takes minutes on 2 busy cores, past the default 120 s.
        workerTimeoutMs: 3_600_000,
        logger: silentLogger,
        progress: 'none',
      });
      const loadSeconds = (performance.now() - started) / 1000;
      const { device, backendDetails } = await reranker.info();
      send({ type: 'ready', loadSeconds, loadPeakRss: loadPeak(), device, details: backendDetails });
      servingPeak = startPeakRss();
      return;
    }
    case 'run': {
      if (!reranker) throw new Error('run before init');
      const cpu = process.cpuUsage();
      const latencyMs: number[] = [];
      const scores: number[][] = [];
      for (const { query, documents } of request.requests) {
        const t0 = performance.now();
        const results = await reranker.rerank(query, documents);
        latencyMs.push(performance.now() - t0);
        const byIndex = new Array<number>(documents.length).fill(Number.NaN);
        for (const r of results) byIndex[r.index] = r.score;
        scores.push(byIndex);
      }
      const used = process.cpuUsage(cpu);
      send({ type: 'ran', latencyMs, scores, cpuSeconds: (used.user + used.system) / 1e6 });
      return;
    }
    case 'close': {
      const peakRss = servingPeak?.();
      const details = reranker ? (await reranker.info()).backendDetails : {};
      await reranker?.dispose();
      send({ type: 'closed', ...(peakRss && { peakRss }), details });
      process.disconnect?.();
      return;
    }
  }
}

process.on('message', (request: ChildRequest) => {
  handle(request).catch((error: unknown) => {
    send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  });
});
