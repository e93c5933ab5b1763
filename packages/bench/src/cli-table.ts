import { Command } from 'commander';
import {
  commanderArg,
  dtypeArg,
  nonNegativeInt,
  positiveInt,
  positiveNumber,
  printResult,
  userPath,
  writeOutput,
} from './cli-args';
import { tableChartSvg } from './svg-chart';
import { runTable, type TableOptions } from './table';
import { parseBackends, parseBatchSizes, parseTablePresets, TABLE_PRESETS } from './table-args';
import { TABLE_BACKENDS } from './table-backends';
import { tableMarkdown } from './table-report';

/** `reranker-bench table`: the original throughput table (see README). */
export function tableCommand(): Command {
  const command = new Command('table');
  return command
    .description(
      'The original table: Backend, Batch Size, Documents/sec, Latency p50/p95 for every backend on this host; backends that cannot run here are rows with the reason',
    )
    .option(
      '--presets <list>',
      `synthesized presets (random weights), comma-separated: ${TABLE_PRESETS.join(', ')}`,
      commanderArg(parseTablePresets),
    )
    .option('--model <id or folder>', 'a hub id or model folder instead of presets')
    .option(
      '--backends <list>',
      `comma-separated: ${TABLE_BACKENDS.join(', ')}`,
      commanderArg(parseBackends),
      [...TABLE_BACKENDS],
    )
    .option(
      '--batch-sizes <list>',
      'comma-separated batch sizes, one row each',
      commanderArg(parseBatchSizes),
      [8, 16, 32],
    )
    .option('--dtype <dtype>', 'model file: fp32, fp16 or q8', dtypeArg, 'fp32')
    .option('--docs <n>', 'documents per request', positiveInt, 32)
    .option(
      '--duration-s <n>',
      'per row: timed requests until this many seconds (at least one)',
      positiveNumber,
      6,
    )
    .option(
      '--requests <n>',
      'per row: exactly this many timed requests (instead of --duration-s)',
      positiveInt,
    )
    .option('--seed <n>', 'seed of the workload texts', nonNegativeInt, 1)
    .option('--json <file>', 'also write the results as JSON to this file')
    .option('--chart <file>', 'also write an SVG chart of docs/s and latency to this file')
    .action(
      async (
        opts: Omit<TableOptions, 'presets'> & {
          presets?: TableOptions['presets'];
          json?: string;
          chart?: string;
        },
      ) => {
        const { json, chart, presets, ...rest } = opts;
        if (presets !== undefined && rest.model !== undefined) {
          command.error('error: --presets and --model exclude each other: measure presets or one model');
        }
        // A relative folder means the folder the command was typed in, not packages/bench.
        const model = rest.model?.startsWith('.') ? userPath(rest.model) : rest.model;
        const options: TableOptions = { ...rest, model, presets: presets ?? (model ? [] : ['minilm-l6']) };
        const result = await runTable(options, (line) => process.stderr.write(`${line}\n`));
        result.commandLine = `pnpm -s bench ${process.argv.slice(2).join(' ')}`;
        await printResult(tableMarkdown(result), result, json);
        await writeOutput(chart, tableChartSvg(result));
      },
    );
}
