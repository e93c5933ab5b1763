import { PRESET_NAMES, type PresetName } from '@reranker/testkit';
import { Command } from 'commander';
import { commanderArg, nonNegativeInt, positiveInt, presetArg, printResult, userPath } from './cli-args';
import { type ClusterOptions, runCluster } from './cluster';
import { parseServerCounts } from './cluster-args';
import { clusterMarkdown } from './cluster-report';
import { parseShare } from './cluster-workload';

/** `reranker-bench cluster`: 1 vs N real servers behind nginx on one Redis (see README). */
export function clusterCommand(): Command {
  const command = new Command('cluster');
  return command
    .description(
      'Throughput, latency and cache hit ratio of 1 vs N real server processes (ENABLE_DISTRIBUTED, one Redis) behind the shipped nginx config, on this machine',
    )
    .option(
      '--servers <list>',
      'server counts, one run each, comma-separated',
      commanderArg(parseServerCounts),
      [1, 3],
    )
    .option(
      '--preset <name>',
      `synthesized model (random weights): ${PRESET_NAMES.join(', ')}`,
      presetArg(PRESET_NAMES),
      'minilm-l6' as PresetName,
    )
    .option('--model <folder>', 'a local model folder instead of the preset')
    .option('--duration-s <n>', 'seconds of load per server count', positiveInt, 30)
    .option('--concurrency <n>', 'clients sending back to back', positiveInt, 8)
    .option('--docs <n>', 'documents per request', positiveInt, 20)
    .option('--doc-words <n>', 'words per document', positiveInt, 40)
    .option(
      '--repeat-share <share>',
      'share of requests (0 to 1) that repeat an earlier request exactly',
      commanderArg(parseShare),
      0.5,
    )
    .option('--seed <n>', 'seed of the workload, the same for every server count', nonNegativeInt, 42)
    .option(
      '--redis-url <url>',
      'Redis the servers share (a private key prefix per run)',
      'redis://127.0.0.1:6379',
    )
    .option('--json <file>', 'also write the results (machine and command line included) as JSON')
    .action(async (opts: ClusterOptions & { json?: string }) => {
      const { json, ...options } = opts;
      if (options.model !== undefined) options.model = userPath(options.model);
      const line = ['pnpm -s bench', ...process.argv.slice(2)].join(' ');
      const result = await runCluster(options, (l) => process.stderr.write(`${l}\n`), line).catch(
        (error: unknown) => command.error(`error: ${(error as Error).message}`),
      );
      await printResult(clusterMarkdown(result), result, json);
      process.exitCode = result.rows.some((row) => row.summary.ok < row.summary.total) ? 1 : 0;
    });
}
