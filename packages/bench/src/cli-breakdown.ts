import { Command } from 'commander';
import { type BreakdownOptions, runBreakdown } from './breakdown';
import { breakdownMarkdown } from './breakdown-report';
import { BERT_PRESET_OPTION, nonNegativeInt, positiveInt } from './cli-args';

/** `reranker-bench breakdown`: where one engine request spends its time (see README). */
export function breakdownCommand(): Command {
  return new Command('breakdown')
    .description(
      'Where one engine request spends its time (tokenize, keys, batches, messaging) next to raw onnxruntime',
    )
    .option(...BERT_PRESET_OPTION)
    .option('--docs <n>', 'documents per request', positiveInt, 32)
    .option(
      '--requests <n>',
      'timed requests (each engine request is followed by a raw one)',
      positiveInt,
      20,
    )
    .option('--settle-ms <n>', 'idle pause between the engine and the raw parts', nonNegativeInt, 300)
    .option('--batch-size <n>', 'rows per inference batch, for both', positiveInt, 16)
    .option('--pair-tokens <n>', 'tokens of every pair, special tokens included', positiveInt, 128)
    .action(async (options: BreakdownOptions) => {
      process.stdout.write(breakdownMarkdown(await runBreakdown(options), options));
    });
}
