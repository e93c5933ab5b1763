import { RerankerError } from '@reranker/core';
import { QWEN3_PRESET_NAMES, QWEN3_PRESETS, type Qwen3PresetName } from '@reranker/testkit';
import { Command, InvalidArgumentError } from 'commander';
import { commanderArg, nonNegativeInt, positiveInt, printResult } from './cli-args';
import { type LlmOptions, runLlm } from './llm';
import { LLM_DTYPES, type LlmDtype } from './llm-models';
import { llmMarkdown } from './llm-report';

function parseDtypes(value: string): LlmDtype[] {
  const items = [...new Set(value.split(',').map((v) => v.trim()))];
  const bad = items.filter((v) => !(LLM_DTYPES as readonly string[]).includes(v));
  if (bad.length > 0 || items.length === 0)
    throw new RerankerError(
      'INVALID_CONFIG',
      `unknown dtype ${bad.join(', ')}: use ${LLM_DTYPES.join(', ')}`,
    );
  return items as LlmDtype[];
}

function parseRange(value: string): [number, number] {
  const [low, high] = value.split(',').map(Number);
  if (!Number.isInteger(low) || !Number.isInteger(high) || low! < 1 || high! < low!)
    throw new InvalidArgumentError('expected <min>,<max> token counts, e.g. 64,256');
  return [low!, high!];
}

// Yes/no Qwen3 rerankers: the naive forward reads the label rows of full-vocabulary logits (a seq-cls
// head has none), and Qwen2 twins need a template of their own.
const LLM_PRESETS = QWEN3_PRESET_NAMES.filter((name) => {
  const dims = QWEN3_PRESETS[name] as { head: string; family?: string };
  return dims.head === 'causal-lm' && dims.family !== 'qwen2';
});

function qwen3Preset(value: string): Qwen3PresetName {
  if (!(LLM_PRESETS as string[]).includes(value))
    throw new InvalidArgumentError(`expected ${LLM_PRESETS.join(', ')}`);
  return value as Qwen3PresetName;
}

/** `reranker-bench llm`: the engine's prefix-reuse graph vs the naive full-sequence forward (see README). */
export function llmCommand(): Command {
  return new Command('llm')
    .description(
      'LLM rerankers: the engine (prefix computed once per request, 2-row yes/no head) vs the naive full-sequence forward (whole prompt per document, full-vocabulary logits), same session options, each in its own process; docs/s, ratio, peak RSS, scores checked against each other',
    )
    .option(
      '--preset <name>',
      `Qwen3 reranker preset (RANDOM weights): ${LLM_PRESETS.join(', ')}`,
      qwen3Preset,
      'qwen3-0.6b',
    )
    .option('--dtypes <list>', 'comma-separated: fp32, q8', commanderArg(parseDtypes), ['fp32', 'q8'])
    .option('--docs <n>', 'documents per request', positiveInt, 20)
    .option('--query-tokens <n>', 'tokens of every query', positiveInt, 30)
    .option('--doc-tokens <min,max>', 'document length in tokens, drawn uniformly', parseRange, [64, 256])
    .option('--rounds <n>', 'rounds, each running both variants (the first alternating)', positiveInt, 4)
    .option('--requests <n>', 'timed requests per variant and round', positiveInt, 1)
    .option('--warmup <n>', 'untimed requests per variant first', nonNegativeInt, 1)
    .option('--settle-ms <n>', 'idle pause before each timed phase', nonNegativeInt, 300)
    .option('--seed <n>', 'seed of the workload texts', nonNegativeInt, 1)
    .option('--batch-size <n>', 'rows per batch, both variants (default: the engine default)', positiveInt)
    .option('--workers <n>', 'worker threads, both variants (default: the backend topology)', positiveInt)
    .option('--threads-per-worker <n>', 'intra-op threads per worker, both variants', positiveInt)
    .option('--json <file>', 'also write the results as JSON to this file')
    .action(async (opts: LlmOptions & { json?: string }) => {
      const { json, ...options } = opts;
      const result = await runLlm(options, (line) => process.stderr.write(`${line}\n`));
      result.commandLine = `pnpm -s bench ${process.argv.slice(2).join(' ')}`;
      await printResult(llmMarkdown(result), result, json);
      // Different scores mean the two variants did not compute the same thing: the figures are void.
      if (result.dtypes.some((d) => !d.scores.agree)) process.exitCode = 1;
    });
}
