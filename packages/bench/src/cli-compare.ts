import { Command } from 'commander';
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
    .option('--json <file>', 'also write the results as JSON to this file')
    .option('--chart <file>', 'also write an SVG chart of docs/s and latency to this file')
    .action(async (opts: CompareOptions & { json?: string; chart?: string }) => {
      const { json, chart, ...options } = opts;
      const result = await runCompare(options, (line) => process.stderr.write(`${line}\n`));
      await printResult(compareMarkdown(result), result, json);
      await writeOutput(chart, compareChartSvg(result));
    });
}
