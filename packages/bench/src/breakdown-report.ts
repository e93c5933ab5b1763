// The result of `reranker-bench breakdown` as markdown.
import type { BreakdownOptions, BreakdownResult } from './breakdown';

/** Where one engine request's time goes, next to raw onnxruntime on the same batches. */
export function breakdownMarkdown(b: BreakdownResult, o: BreakdownOptions): string {
  const e = b.engine;
  const ms = (n: number) => n.toFixed(2);
  const runGap = e.backendRunMs - b.raw.sessionRunMs;
  return [
    `## breakdown: one request of ${o.docs} × ${o.pairTokens}-token pairs, batches of ${o.batchSize} (${b.batchesPerRequest} per request), medians of ${o.requests}`,
    '',
    '| stage | ms |',
    '| --- | ---: |',
    `| engine request (rerank call to results) | ${ms(e.requestMs)} |`,
    `| raw request (session.run over the same batches) | ${ms(b.raw.requestMs)} |`,
    `| engine: before the first batch (tokenize, SHA-256 keys, plan, pad batch 1) | ${ms(e.beforeFirstBatchMs)} |`,
    `| engine: between two batches (resolve rows, pad the next) | ${ms(e.betweenBatchesMs)} |`,
    `| engine: after the last batch (scores, sort) | ${ms(e.afterLastBatchMs)} |`,
    `| engine backend.run per batch (post to worker, run, reply) | ${ms(e.backendRunMs)} |`,
    `| raw session.run per batch (main thread) | ${ms(b.raw.sessionRunMs)} |`,
    `| backend.run − session.run per batch (messaging, worker scheduling, topology) | ${ms(runGap)} |`,
    `| main thread alone: tokenize ${o.docs} pairs | ${ms(b.mainThread.tokenizeMs)} |`,
    `| main thread alone: SHA-256 keys of ${o.docs} pairs | ${ms(b.mainThread.sha256KeysMs)} |`,
    `| main thread alone: pad ${o.docs} pairs into int64 batches | ${ms(b.mainThread.padMs)} |`,
    '',
  ].join('\n');
}
