import { DTYPES, type Dtype, RerankerError } from '@reranker/core';
import { PRESET_NAMES } from '@reranker/testkit';
import { Command } from 'commander';
import { type CheckpointsOptions, runCheckpoints } from './checkpoints';
import { checkpointsMarkdown } from './checkpoints-report';
import { commanderArg, nonNegativeInt, positiveInt, printResult } from './cli-args';
import { parseBatchSizes, parsePresets } from './table-args';

function parseDtypes(value: string): Dtype[] {
  const items = [...new Set(value.split(',').map((v) => v.trim()))];
  const bad = items.filter((v) => !(DTYPES as readonly string[]).includes(v));
  if (bad.length > 0 || items.length === 0)
    throw new RerankerError('INVALID_CONFIG', `unknown dtype ${bad.join(', ')}: use ${DTYPES.join(', ')}`);
  return items as Dtype[];
}

/** `reranker-bench checkpoints`: safetensors-only presets, graph build vs cached load, peak RSS, dtypes. */
export function checkpointsCommand(): Command {
  return new Command('checkpoints')
    .description(
      'Safetensors-only presets as hub repos publish them: load time with the graph built vs cached, docs/s, peak RSS and speed vs fp32 per dtype (onnxruntime-node CPU); with --long-tokens, peak RSS of requests of long pairs',
    )
    .requiredOption(
      '--presets <list>',
      `synthesized presets (random weights), comma-separated: ${PRESET_NAMES.join(', ')}`,
      commanderArg(parsePresets),
    )
    .option('--dtypes <list>', 'comma-separated, each made at load', commanderArg(parseDtypes), [
      'fp32',
      'q8',
    ])
    .option('--batch-size <n>', 'rows per model run', positiveInt, 8)
    .option('--docs <n>', 'documents per request', positiveInt, 16)
    .option('--requests <n>', 'timed requests per dtype (after one warm-up)', positiveInt, 2)
    .option('--seed <n>', 'seed of the workload texts', nonNegativeInt, 1)
    .option('--long-tokens <n>', 'instead: requests of pairs this long (also the maxLength)', positiveInt)
    .option(
      '--long-pairs <list>',
      'with --long-tokens: pairs per request, one request each',
      commanderArg(parseBatchSizes),
      [1, 16],
    )
    .option('--json <file>', 'also write the results as JSON to this file')
    .action(async (opts: CheckpointsOptions & { json?: string }) => {
      const { json, ...options } = opts;
      const result = await runCheckpoints(options, (line) => process.stderr.write(`${line}\n`));
      result.commandLine = `pnpm -s bench ${process.argv.slice(2).join(' ')}`;
      await printResult(checkpointsMarkdown(result), result, json);
    });
}
