#!/usr/bin/env node

import { isPresetName, PRESET_NAMES, PRESETS, type PresetName } from '@reranker/testkit';
import { Command, InvalidArgumentError } from 'commander';
import { type BreakdownOptions, runBreakdown } from './breakdown';
import { dtypeArg, nonNegativeInt, positiveInt, writeOutput } from './cli-args';
import { clusterCommand } from './cli-cluster';
import { loadCommand } from './cli-load';
import { tableCommand } from './cli-table';
import { type CompareOptions, runCompare } from './compare';
import { compareMarkdown } from './compare-report';
import { type OverheadOptions, runOverhead } from './overhead';
import { breakdownMarkdown, overheadMarkdown, spinningMarkdown } from './report';
import { runSpinning, type SpinningOptions } from './spinning';
import { compareChartSvg } from './svg-chart';

// The workload builds documents from WordPiece vocabulary words, so only BERT layouts fit; checked before
// anything is synthesized (an XLM-R preset can be gigabytes).
const BERT_PRESETS = PRESET_NAMES.filter((name) => PRESETS[name].architecture === 'bert');
const preset = (value: string): PresetName => {
  if (!isPresetName(value) || PRESETS[value].architecture !== 'bert') {
    throw new InvalidArgumentError(`expected a BERT preset: ${BERT_PRESETS.join(', ')}`);
  }
  return value;
};
const spinFlag = (value: string): '0' | '1' => {
  if (value !== '0' && value !== '1') throw new InvalidArgumentError('expected 0 or 1');
  return value;
};
const PRESET_OPTION = [
  '--preset <name>',
  `synthetic model preset (BERT layouts): ${BERT_PRESETS.join(', ')}`,
  preset,
  'minilm-l6' as PresetName,
] as const;
const program = new Command()
  .name('reranker-bench')
  .description(
    'Benchmarks of the reranker engine. Models are synthetic: real architecture and cost, random weights.',
  );

program
  .command('overhead', { isDefault: true })
  .description(
    'Engine (createReranker) vs raw InferenceSession.run on identical fixed-length pairs, alternating rounds',
  )
  .option(...PRESET_OPTION)
  .option('--docs <n>', 'documents per request', positiveInt, 32)
  .option('--requests <n>', 'timed requests per contender in each round', positiveInt, 5)
  .option('--rounds <n>', 'rounds, each running raw then engine', positiveInt, 16)
  .option('--batch-size <n>', 'rows per inference batch, for both contenders', positiveInt, 16)
  .option('--warmup <n>', 'untimed requests per contender before the first round', nonNegativeInt, 2)
  .option('--pair-tokens <n>', 'tokens of every pair, special tokens included', positiveInt, 128)
  .option(
    '--settle-ms <n>',
    "idle pause before each timed phase (lets the other session's threads stop spinning)",
    nonNegativeInt,
    300,
  )
  .option('--dtype <dtype>', 'model file for both contenders: fp32, fp16 or q8', dtypeArg, 'fp32')
  .option('--workers <n>', 'engine worker threads (default: the backend topology)', positiveInt)
  .option(
    '--threads-per-worker <n>',
    'engine intra-op threads per worker (default: the backend topology)',
    positiveInt,
  )
  .option('--json <file>', 'also write the results as JSON to this file')
  .action(async (opts: OverheadOptions & { json?: string }) => {
    const { json, ...options } = opts;
    const result = await runOverhead(options, (line) => process.stderr.write(`${line}\n`));
    process.stdout.write(overheadMarkdown(result));
    await writeOutput(json, `${JSON.stringify(result, null, 2)}\n`);
  });

program
  .command('breakdown')
  .description(
    'Where one engine request spends its time (tokenize, keys, batches, messaging) next to raw onnxruntime',
  )
  .option(...PRESET_OPTION)
  .option('--docs <n>', 'documents per request', positiveInt, 32)
  .option('--requests <n>', 'timed requests (each engine request is followed by a raw one)', positiveInt, 20)
  .option('--settle-ms <n>', 'idle pause between the engine and the raw parts', nonNegativeInt, 300)
  .option('--batch-size <n>', 'rows per inference batch, for both', positiveInt, 16)
  .option('--pair-tokens <n>', 'tokens of every pair, special tokens included', positiveInt, 128)
  .action(async (options: BreakdownOptions) => {
    process.stdout.write(breakdownMarkdown(await runBreakdown(options), options));
  });

program
  .command('compare')
  .description(
    'Mixed-length workload through the transformers.js recipe, raw onnxruntime, the engine and the HTTP server, in one run',
  )
  .option(...PRESET_OPTION)
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
    process.stdout.write(compareMarkdown(result));
    await writeOutput(json, `${JSON.stringify(result, null, 2)}\n`);
    await writeOutput(chart, compareChartSvg(result));
  });

program
  .command('spinning')
  .description("What onnxruntime's spinning intra-op threads cost another session in the same process")
  .option(...PRESET_OPTION)
  .option('--batch-size <n>', 'rows of the batch', positiveInt, 16)
  .option('--runs <n>', 'timed runs per condition', positiveInt, 20)
  .option(
    '--allow-spinning <0|1>',
    "onnxruntime's session.intra_op.allow_spinning (one setting per process)",
    spinFlag,
    '1',
  )
  .option('--pair-tokens <n>', 'tokens of every pair, special tokens included', positiveInt, 128)
  .action(async (options: SpinningOptions) => {
    process.stdout.write(spinningMarkdown(await runSpinning(options), options));
  });

program.addCommand(tableCommand());
program.addCommand(loadCommand());
program.addCommand(clusterCommand());

await program.parseAsync();
