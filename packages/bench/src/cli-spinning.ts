import { Command, InvalidArgumentError } from 'commander';
import { BERT_PRESET_OPTION, positiveInt } from './cli-args';
import { runSpinning, type SpinningOptions } from './spinning';
import { spinningMarkdown } from './spinning-report';

const spinFlag = (value: string): '0' | '1' => {
  if (value !== '0' && value !== '1') throw new InvalidArgumentError('expected 0 or 1');
  return value;
};

/** `reranker-bench spinning`: what onnxruntime's spinning threads cost another session (see README). */
export function spinningCommand(): Command {
  return new Command('spinning')
    .description("What onnxruntime's spinning intra-op threads cost another session in the same process")
    .option(...BERT_PRESET_OPTION)
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
}
