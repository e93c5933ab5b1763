import { fileURLToPath } from 'node:url';
import { DTYPES, RerankerError } from '@reranker/core';
import { PRESET_NAMES } from '@reranker/testkit';
import { Command, InvalidArgumentError } from 'commander';
import {
  commanderArg,
  dtypeArg,
  positiveInt,
  presetArg,
  printResult,
  userPath,
  writeOutput,
} from './cli-args';
import { type EvalOptions, runEval } from './eval';
import { evalMarkdown } from './eval-report';
import { EVAL_BACKENDS, type EvalBackend } from './eval-rerank';
import { evalChartSvg } from './svg-chart';

/** The BEIR-format fixture shipped with the package (see fixtures/beir-mini/README.md). */
export const BEIR_MINI = fileURLToPath(new URL('../fixtures/beir-mini', import.meta.url));

const backendArg = (value: string): EvalBackend => {
  if (!(EVAL_BACKENDS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected ${EVAL_BACKENDS.join(', ')}`);
  }
  return value as EvalBackend;
};

const compareArg = (value: string): EvalOptions['compare'] => {
  if ((DTYPES as readonly string[]).includes(value)) return value as EvalOptions['compare'];
  if ((EVAL_BACKENDS as readonly string[]).includes(value)) return value as EvalBackend;
  throw new InvalidArgumentError(
    `expected a dtype (${DTYPES.join(', ')}) or a backend (${EVAL_BACKENDS.join(', ')})`,
  );
};

/** `--recall-at 10,50,100`: positive integers, no repeats, ascending. */
export function parseRecallAt(value: string): number[] {
  const ks = value.split(',').map((item) => Number(item.trim()));
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1 || k > 10_000)) {
    throw new RerankerError('INVALID_CONFIG', `--recall-at takes integers from 1 to 10000, got '${value}'`);
  }
  return [...new Set(ks)].sort((a, b) => a - b);
}

/** `reranker-bench eval`: ranking quality on a BEIR folder, and the agreement of two configurations. */
export function evalCommand(): Command {
  const command = new Command('eval');
  return command
    .description(
      'nDCG@10, MRR@10, Recall@k of BM25 and of BM25 + rerank on a BEIR-format folder, and the agreement (Kendall tau-b, top-10 overlap) of two configurations',
    )
    .option(
      '--data <folder>',
      'BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv (default: the shipped beir-mini fixture)',
    )
    .option('--split <name>', 'qrels file to evaluate: qrels/<name>.tsv', 'test')
    .option(
      '--preset <name>',
      `synthesized preset, RANDOM weights (default tiny): ${PRESET_NAMES.join(', ')}`,
      presetArg(PRESET_NAMES),
    )
    .option('--model <id or folder>', 'a hub id or model folder instead of a preset')
    .option('--dtype <dtype>', 'model file: fp32, fp16 or q8', dtypeArg, 'fp32')
    .option('--backend <name>', `where the model runs: ${EVAL_BACKENDS.join(', ')}`, backendArg, 'cpu')
    .option(
      '--compare <dtype or backend>',
      'a second configuration, the first with this dtype or backend',
      compareArg,
    )
    .option('--candidates <n>', 'BM25 hits the model reranks per query (N)', positiveInt, 100)
    .option(
      '--recall-at <list>',
      'the k of Recall@k, comma-separated',
      commanderArg(parseRecallAt),
      [10, 50, 100],
    )
    .option('--batch-size <n>', 'rows per inference batch', positiveInt, 32)
    .option('--max-queries <n>', 'evaluate only the first n judged queries', positiveInt)
    .option('--json <file>', 'also write the results as JSON to this file')
    .option('--chart <file>', 'also write an SVG chart of the metrics and the agreement to this file')
    .action(async (opts: Partial<EvalOptions> & { json?: string; chart?: string }) => {
      const { json, chart, data, ...rest } = opts;
      if (rest.preset !== undefined && rest.model !== undefined) {
        command.error('error: --preset and --model exclude each other: evaluate a preset or a model');
      }
      // A relative folder means the folder the command was typed in, not packages/bench.
      const model = rest.model?.startsWith('.') ? userPath(rest.model) : rest.model;
      const options = {
        ...rest,
        data: data === undefined ? BEIR_MINI : userPath(data),
        model,
        preset: model === undefined ? (rest.preset ?? 'tiny') : undefined,
      } as EvalOptions;
      const result = await runEval(options, (line) => process.stderr.write(`${line}\n`));
      result.commandLine = `pnpm -s bench ${process.argv.slice(2).join(' ')}`;
      await printResult(evalMarkdown(result), result, json);
      await writeOutput(chart, evalChartSvg(result));
    });
}
