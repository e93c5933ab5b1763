import { Command } from 'commander';
import { BERT_PRESET_OPTION, dtypeArg, nonNegativeInt, positiveInt, printResult } from './cli-args';
import { type OverheadOptions, runOverhead } from './overhead';
import { overheadMarkdown } from './overhead-report';

/** `reranker-bench overhead` (the default command): engine vs raw onnxruntime (see README). */
export function overheadCommand(): Command {
  return new Command('overhead')
    .description(
      'Engine (createReranker) vs raw InferenceSession.run on identical fixed-length pairs, alternating rounds',
    )
    .option(...BERT_PRESET_OPTION)
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
      await printResult(overheadMarkdown(result), result, json);
    });
}
