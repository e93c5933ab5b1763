import { PRESET_NAMES, type PresetName } from '@reranker/testkit';
import { Command, InvalidArgumentError } from 'commander';
import { nonNegativeInt, positiveInt, printResult } from './cli-args';
import { runFusion } from './fusion';
import { fusionMarkdown } from './fusion-report';
import { FUSION_DTYPES, type FusionDtype, type FusionOptions } from './fusion-types';

const list =
  <T extends string>(allowed: readonly T[]) =>
  (value: string): T[] => {
    const items = value.split(',').map((s) => s.trim());
    const bad = items.find((s) => !(allowed as readonly string[]).includes(s));
    if (bad !== undefined) throw new InvalidArgumentError(`${bad}: expected one of ${allowed.join(', ')}`);
    return items as T[];
  };

/** `reranker-bench fusion`: which fusions onnxruntime applies to our graphs and to a published-style export, and the speed of each. */
export function fusionCommand(): Command {
  return new Command('fusion')
    .description(
      'Fused node counts (optimized model) and docs/s of our built graph vs a published-style export, same session options',
    )
    .option('--presets <names>', 'comma-separated presets', list(PRESET_NAMES), [
      'minilm-l6',
      'bge-base',
    ] as PresetName[])
    .option('--dtypes <dtypes>', 'comma-separated: fp32, q8', list(FUSION_DTYPES), [
      'fp32',
      'q8',
    ] as FusionDtype[])
    .option('--batch-size <n>', 'rows of every run', positiveInt, 16)
    .option('--pair-tokens <n>', 'tokens of every row', positiveInt, 128)
    .option(
      '--versus <peer>',
      'published (published-style export) or standard (our standard-operator graph)',
      (v: string) => {
        if (v !== 'published' && v !== 'standard')
          throw new InvalidArgumentError('expected published or standard');
        return v;
      },
      'published',
    )
    .option(
      '--external-data',
      "both graphs' weights in model.onnx_data (past 2 GB; with --versus standard, fp32)",
    )
    .option('--padded', "every second row ends in padding (our graph's padded path, not flash attention)")
    .option('--runs <n>', 'timed runs per contender in each round', positiveInt, 2)
    .option('--rounds <n>', 'rounds, each timing both contenders', positiveInt, 8)
    .option('--warmup <n>', 'untimed runs per contender first', nonNegativeInt, 1)
    .option('--settle-ms <n>', 'idle pause before each timed phase', nonNegativeInt, 300)
    .option('--threads <n>', 'intra-op threads of both sessions (default: the cores)', positiveInt)
    .option('--no-spinning', "turn onnxruntime's intra-op spinning off (as allowSpinning: false)")
    .option(
      '--profile <runs>',
      "also profile each graph over this many runs: ms per run by operator type (onnxruntime's profiler)",
      positiveInt,
    )
    .option('--json <file>', 'also write the results as JSON to this file')
    .action(async (opts: FusionOptions & { json?: string }) => {
      const { json, ...options } = opts;
      const result = await runFusion(options, (line) => process.stderr.write(`${line}\n`));
      await printResult(fusionMarkdown(result), result, json);
    });
}
