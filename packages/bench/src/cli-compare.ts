import { Command, InvalidArgumentError } from 'commander';
import { BERT_PRESET_OPTION, nonNegativeInt, positiveInt, printResult, writeOutput } from './cli-args';
import { type CompareOptions, runCompare } from './compare';
import { compareMarkdown } from './compare-report';
import { compareChartSvg } from './svg-chart';

/** `reranker-bench compare`: the transformers.js recipe, raw onnxruntime, the engine and the server (see README). */
export function compareCommand(): Command {
  return new Command('compare')
    .description(
      'Mixed-length workload through the transformers.js recipe, raw onnxruntime, the engine and the HTTP server, in one run',
    )
    .option(...BERT_PRESET_OPTION)
    .option(
      '--requests <n>',
      'requests in the workload (20 documents each); every contender scores all',
      positiveInt,
      16,
    )
    .option('--concurrency <n>', 'concurrent HTTP clients of the server contender', positiveInt, 16)
    .option('--seed <n>', 'seed of the workload', nonNegativeInt, 1)
    .option('--no-cache-off', 'skip the engine run with its pair cache off')
    .option('--settle-ms <n>', 'idle pause before each timed phase', nonNegativeInt, 300)
    .option(
      '--max-seconds <n>',
      'a contender takes no new request after this many seconds (keeps the run bounded)',
      positiveInt,
      45,
    )
    .option(
      '--batch-sizes <list>',
      'comma-separated batch sizes (auto and numbers, e.g. auto,4,8,16,32): the engine (cache on) and the server run once per size',
      batchSizesArg,
    )
    .option('--no-baselines', 'skip the recipe, raw and cache-off contenders (e.g. with --batch-sizes)')
    .option(
      '--rounds <n>',
      'times the engine (cache on) and server contenders run, every other round in reverse order; rows sum their rounds',
      positiveInt,
      1,
    )
    .option('--json <file>', 'also write the results as JSON to this file')
    .option('--chart <file>', 'also write an SVG chart of docs/s and latency to this file')
    .action(async (opts: CompareOptions & { json?: string; chart?: string }) => {
      const { json, chart, ...options } = opts;
      const result = await runCompare(options, (line) => process.stderr.write(`${line}\n`));
      await printResult(compareMarkdown(result), result, json);
      await writeOutput(chart, compareChartSvg(result));
    });
}

/** `auto,4,8` -> ['auto', 4, 8]. */
function batchSizesArg(value: string): (number | 'auto')[] {
  return value.split(',').map((part) => {
    const text = part.trim().toLowerCase();
    if (text === 'auto') return 'auto';
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`expected auto or positive integers, got "${part}"`);
    return n;
  });
}
