// The result of `reranker-bench spinning` as markdown.
import type { SpinningOptions, SpinningResult } from './spinning';

const f1 = (n: number) => n.toFixed(1);

/** Batch time under one intra-op spinning setting, after the same or after another session. */
export function spinningMarkdown(r: SpinningResult, o: SpinningOptions): string {
  return [
    `## spinning: one batch of ${o.batchSize} × ${o.pairTokens} tokens, two sessions in one process, medians of ${o.runs}`,
    '',
    '| allow_spinning | ms after the same session | ms after the other session | process CPU s |',
    '| --- | ---: | ---: | ---: |',
    `| ${r.allowSpinning} | ${f1(r.afterSameMs)} | ${f1(r.afterOtherMs)} | ${f1(r.cpuSeconds)} |`,
    '',
  ].join('\n');
}
