import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { INPUT_FORMATS, type InputFormat } from './documents';
import { ENGINE_FLAGS, type EngineFlagValues, engineFlagHelp } from './engine-flags';
import { OUTPUT_FORMATS, type OutputFormat } from './output';
import { VERSION } from './version';

/** What `reranker rank` was asked to do. */
export interface RankCommand {
  query: string;
  top?: number;
  input?: InputFormat;
  field?: string;
  format: OutputFormat;
  progress: boolean;
  engine: EngineFlagValues;
}

/** The command line could not be used; commander has already printed why (or the help). */
export class CommandLineExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

function positiveInteger(value: string): number {
  if (!/^\+?\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new InvalidArgumentError('use a whole number of at least 1.');
  }
  return Number(value);
}

function nonBlank(what: string) {
  return (value: string) => {
    if (value.trim() === '') throw new InvalidArgumentError(`the ${what} must not be empty.`);
    return value;
  };
}

const INPUT_RULE =
  'auto-detected by the first non-blank character: "[" a JSON array, "{" JSON lines, anything else lines of text';

/**
 * Parses `reranker rank ...`. Usage errors and --help are printed by commander; they surface as
 * `CommandLineExit` with code 2 (bad usage) or 0 (help, version), so the caller owns exiting.
 */
export function parseCommandLine(argv: readonly string[]): RankCommand {
  let parsed: RankCommand | undefined;
  const program = new Command('reranker')
    .description('Rank documents against a query with a local cross-encoder reranker.')
    .version(VERSION)
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  program
    .command('rank')
    .description(
      'Rank the documents given on stdin against --query and write them best first.\n' +
        `Input: lines of text, JSON lines (strings or objects), or a JSON array; ${INPUT_RULE}.`,
    )
    .requiredOption(
      `${ENGINE_FLAGS.model} <id|folder>`,
      'Hugging Face hub id (owner/name) or a model folder',
      nonBlank('model'),
    )
    .requiredOption('-q, --query <text>', 'the query to rank the documents against', nonBlank('query'))
    .option('-n, --top <n>', 'write only the best N documents (default: all)', positiveInteger)
    .addOption(
      new Option('--input <format>', `force the input format (default: ${INPUT_RULE})`).choices(
        INPUT_FORMATS,
      ),
    )
    .option(
      '--field <name>',
      'the key holding the text in JSON objects (default: text)',
      nonBlank('field name'),
    )
    .addOption(
      new Option('--format <format>', 'jsonl: one JSON object per line; table: for reading in a terminal')
        .choices(OUTPUT_FORMATS)
        .default('jsonl'),
    )
    .option(`${ENGINE_FLAGS.batchSize} <n>`, engineFlagHelp('batchSize'))
    .option(`${ENGINE_FLAGS.dtype} <dtype>`, engineFlagHelp('dtype'))
    .option(`${ENGINE_FLAGS.maxLength} <n>`, engineFlagHelp('maxLength'))
    .option(
      '--no-progress',
      'never draw the progress bar (drawn on stderr for long inputs when it is a terminal)',
    )
    .allowExcessArguments(false)
    .action((opts: Record<string, unknown>) => {
      parsed = {
        query: opts.query as string,
        top: opts.top as number | undefined,
        input: opts.input as InputFormat | undefined,
        field: opts.field as string | undefined,
        format: opts.format as OutputFormat,
        progress: opts.progress as boolean,
        engine: {
          model: opts.model as string,
          dtype: opts.dtype as string | undefined,
          maxLength: opts.maxLength as string | undefined,
          batchSize: opts.batchSize as string | undefined,
        },
      };
    });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) throw new CommandLineExit(error.exitCode === 0 ? 0 : 2);
    throw error;
  }
  // No subcommand: commander printed the help as an error.
  if (!parsed) throw new CommandLineExit(2);
  return parsed;
}
