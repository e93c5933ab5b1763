import type { EvalResult } from './eval';

const figure = (value: number) => (Number.isFinite(value) ? value.toFixed(4) : '—');

/** The quality table (one row per run), the agreement of the two configurations, and what they mean. */
export function evalMarkdown(r: EvalResult): string {
  const ks = r.options.recallAt;
  const d = r.dataset;
  const n = r.options.candidates;
  const lines = [`## reranker eval: ${r.model.name} on ${d.path} (${d.split})`, ''];
  if (r.model.synthesized) {
    lines.push(
      `> **${r.model.name} is a synthesized model with RANDOM weights: its rerank figures mean nothing.** ` +
        'They show that the pipeline runs; give `--model <hub id or folder>` with a real cross-encoder to ' +
        'learn whether a dtype or backend changes your ranking.',
      '',
    );
  }
  lines.push(
    `${d.passages} passages, ${d.queries} queries with at least one relevant passage` +
      (d.skippedQueries > 0 ? ` (${d.skippedQueries} with none left out)` : '') +
      (d.unknownPassages > 0 ? `, ${d.unknownPassages} judgements of passages not in the corpus` : '') +
      `. BM25: minisearch over title and text; the model reranks its top ${n}.`,
    '',
    `| run | nDCG@10 | MRR@10 | ${ks.map((k) => `Recall@${k}`).join(' | ')} |`,
    `| --- | ---: | ---: | ${ks.map(() => '---:').join(' | ')} |`,
    ...r.runs.map(
      (run) =>
        `| ${run.name} | ${figure(run.metrics.ndcgAt10)} | ${figure(run.metrics.mrrAt10)} | ${ks
          .map((k) => figure(run.metrics.recall[String(k)]!))
          .join(' | ')} |`,
    ),
    '',
  );
  if (r.agreement) {
    const a = r.agreement;
    lines.push(
      '| agreement | Kendall tau-b | top-10 overlap | queries with tau |',
      '| --- | ---: | ---: | ---: |',
      `| ${a.between[0]} vs ${a.between[1]} | ${figure(a.kendallTauB.mean)} | ${figure(a.top10Overlap)} | ${a.kendallTauB.queries} of ${d.queries} |`,
      '',
      `Agreement: per query, Kendall's tau-b (ties counted as ties) between the two configurations' scores ` +
        `of the same ${n} candidates, and the share of the top 10 they have in common; both averaged over ` +
        'queries. 1.0 and 1.0 mean the same ranking.',
      '',
    );
  }
  lines.push(
    'nDCG@10 with linear gain (the qrels score) and a log2(rank + 1) discount, ideal ranking from the qrels; ' +
      'MRR@10 from the first passage with score > 0; Recall@k = relevant passages in the top k / all relevant ' +
      `ones. A reranked run holds only the ${n} candidates, so its Recall@k for k ≥ ${n} is BM25's Recall@${n}.`,
    '',
    `Took ${r.durationSeconds.toFixed(1)} s on ${r.machine.cores} cores (${r.machine.cpuModel}).`,
    '',
  );
  return lines.join('\n');
}
