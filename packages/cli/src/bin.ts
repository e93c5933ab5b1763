#!/usr/bin/env node
import { AUTO_BATCH_CANDIDATES, errorMessage, isRerankerError, type UnifiedReRanker } from '@reranker/core';
import { createReranker } from '@reranker/node';
import { parseDocuments } from './documents';
import { engineEnv, withFlagNames } from './engine-flags';
import { jsonLines, table } from './output';
import { CommandLineExit, parseCommandLine, type RankCommand } from './program';
import { rankProgress } from './progress';
import { rankTexts } from './rank';
import { readStdin } from './stdin';

/** Exit codes: 0 done (also for an empty input), 1 the model or the run failed, 2 bad usage or input. */
const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
/** Inputs shorter than this finish too fast for a progress bar to help. */
const PROGRESS_MIN_DOCUMENTS = 200;

class Exit extends Error {
  constructor(
    readonly code: number,
    message?: string,
  ) {
    super(message);
  }
}

/** Runs `fn`; a `RerankerError` it throws becomes an exit with `code` and its message. */
async function step<T>(
  code: number,
  describe: (message: string) => string,
  fn: () => T | Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof Exit || !isRerankerError(error)) throw error;
    throw new Exit(code, describe(error.message));
  }
}

const asIs = (message: string) => message;

async function run(argv: readonly string[]): Promise<void> {
  // Run through `pnpm start` (or npm), relative paths mean the folder the user typed the command in.
  if (process.env.npm_lifecycle_event && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
  // `pnpm start -- rank ...` passes the `--` through.
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  let command: RankCommand;
  try {
    command = parseCommandLine(args);
  } catch (error) {
    if (error instanceof CommandLineExit) throw new Exit(error.exitCode);
    throw error;
  }
  // Flags and input are checked before the model loads, so a typo never waits for a download.
  const { env, config } = await step(EXIT.usage, asIs, () => engineEnv(command.engine, process.env));
  const documents = await step(EXIT.usage, asIs, async () =>
    parseDocuments(await readStdin(process.stdin), { format: command.input, field: command.field }),
  );
  if (documents.length === 0) return;

  const reranker: UnifiedReRanker = await step(
    EXIT.failed,
    // The library's advice names the variables; here the user typed flags.
    (message) => `cannot load the model: ${withFlagNames(message, command.engine)}`,
    () => createReranker({ env, cacheEnabled: false, distributed: false }),
  );
  try {
    const progress = rankProgress(documents.length, {
      enabled: command.progress,
      minDocuments: PROGRESS_MIN_DOCUMENTS,
    });
    const results = await step(
      EXIT.failed,
      (message) => `ranking failed: ${message}`,
      () =>
        rankTexts(
          reranker,
          command.query,
          documents.map((d) => d.text),
          {
            top: command.top,
            // Several batches per call keep every worker busy; small enough for a smooth bar.
            // With BATCH_SIZE=auto the size is chosen at warm-up: assume the largest candidate.
            chunkSize:
              (config.batchSize === 'auto' ? Math.max(...AUTO_BATCH_CANDIDATES) : config.batchSize) * 4,
            parallel: config.maxParallel,
            onProgress: progress.update,
          },
        ),
    ).finally(progress.stop);
    const text =
      command.format === 'table'
        ? table(results, documents, process.stdout.columns || 100)
        : jsonLines(results, documents);
    await write(text);
  } finally {
    await reranker.dispose();
  }
}

function write(text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(text, (error) => (error ? reject(error) : resolve())),
  );
}

// A reader that stops early (`reranker rank ... | head -3`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  throw error;
});

run(process.argv.slice(2)).then(
  () => process.exit(EXIT.ok),
  (error: unknown) => {
    if (error instanceof Exit) {
      if (error.message) console.error(`reranker: ${error.message}`);
      process.exit(error.code);
    }
    console.error(`reranker: ${errorMessage(error)}`);
    process.exit(isRerankerError(error) && error.code === 'INVALID_INPUT' ? EXIT.usage : EXIT.failed);
  },
);
