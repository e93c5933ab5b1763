import { Command, InvalidArgumentError } from 'commander';
import { commanderArg, nonNegativeInt, positiveInt, printResult } from './cli-args';
import { dashboardLoadMarkdown, runDashboardLoad } from './dashboard-load';
import { LOAD_MODES, type LoadMode, type LoadOptions, runLoad } from './load';
import { parseModelMix } from './load-models';
import { loadMarkdown } from './load-report';

const loadMode = (value: string): LoadMode => {
  if (!(LOAD_MODES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected ${LOAD_MODES.join(', ')}`);
  }
  return value as LoadMode;
};

/** `reranker-bench load`: the modes of scripts/performance_test.sh against a running server. */
export function loadCommand(): Command {
  const command = new Command('load');
  return command
    .description(
      'POST /rerank load against a RUNNING server, the modes of scripts/performance_test.sh: requests/s, docs/s, latency p50/p95/p99, errors by status',
    )
    .option(
      '--url <url>',
      'base URL of the server (loopback only unless --allow-remote)',
      'http://127.0.0.1:8080',
    )
    .option('--mode <mode>', `${LOAD_MODES.join(', ')}`, loadMode, 'load' as LoadMode)
    .option('--requests <n>', 'requests in all', positiveInt, 200)
    .option(
      '--concurrency <n>',
      'requests in flight (highest stage under stress; latency uses 1)',
      positiveInt,
      8,
    )
    .option('--docs <n>', 'documents per request', positiveInt, 20)
    .option('--doc-words <n>', 'words per document (default 40, throughput 200)', positiveInt)
    .option(
      '--seed <n>',
      'seed of the texts (the server caches scores: change it to measure inference)',
      nonNegativeInt,
      42,
    )
    .option('--timeout-ms <n>', 'per request', positiveInt, 130_000)
    .option('--max-seconds <n>', 'no new requests after this many seconds', positiveInt, 300)
    .option(
      '--models <list>',
      'mixed traffic: each request names one of these models (a,b,c round-robin; a=3,b=1 weighted); docs/s and latency per model',
      commanderArg(parseModelMix),
    )
    .option('--allow-remote', 'allow a target that is not a loopback address', false)
    .option(
      '--dashboard',
      'run the load three times (page closed, /dashboard open in headless chromium, closed) and compare docs/s',
      false,
    )
    .option('--json <file>', 'also write the results as JSON to this file')
    .addHelpText(
      'after',
      '\nAPI_KEY in the environment is sent as "Authorization: Bearer <key>" (never printed).',
    )
    .action(
      async (
        opts: Omit<LoadOptions, 'docWords'> & { docWords?: number; json?: string; dashboard: boolean },
      ) => {
        const { json, docWords, dashboard, ...rest } = opts;
        const options: LoadOptions = {
          ...rest,
          docWords: docWords ?? (rest.mode === 'throughput' ? 200 : 40),
          apiKey: process.env.API_KEY,
        };
        if (dashboard) {
          const result = await runDashboardLoad(options, (line) => process.stderr.write(`${line}\n`)).catch(
            (error: unknown) => command.error(`error: ${(error as Error).message}`),
          );
          await printResult(dashboardLoadMarkdown(result), result, json);
          process.exitCode = result.phases.some((p) => p.result.hardFailures > 0) ? 1 : 0;
          return;
        }
        const result = await runLoad(options, (stage) =>
          process.stderr.write(
            `stage concurrency ${stage.concurrency}: ${stage.summary.ok}/${stage.summary.total} ok\n`,
          ),
        ).catch((error: unknown) => command.error(`error: ${(error as Error).message}`));
        await printResult(loadMarkdown(result), result, json);
        process.exitCode = result.hardFailures > 0 || result.stoppedEarly ? 1 : 0;
      },
    );
}
