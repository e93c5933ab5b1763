#!/usr/bin/env node
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isPresetName, PRESET_NAMES, type PresetName } from '@reranker/testkit';
import { Command, InvalidArgumentError } from 'commander';
import { type OverheadOptions, runOverhead } from './overhead';
import { overheadMarkdown } from './report';

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};
const nonNegativeInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer ≥ 0');
  return n;
};
const preset = (value: string): PresetName => {
  if (!isPresetName(value)) throw new InvalidArgumentError(`expected one of ${PRESET_NAMES.join(', ')}`);
  return value;
};
// Under `pnpm bench` the script runs in packages/bench; INIT_CWD is where the user typed the command.
const userPath = (path: string) => resolve(process.env.INIT_CWD ?? process.cwd(), path);

const program = new Command()
  .name('reranker-bench')
  .description(
    'Benchmarks of the reranker engine. Models are synthetic: real architecture and cost, random weights.',
  );

program
  .command('overhead', { isDefault: true })
  .description(
    'Engine (createReranker) vs raw InferenceSession.run on identical fixed-length pairs, alternating rounds',
  )
  .option(
    '--preset <name>',
    `synthetic model preset (BERT only): ${PRESET_NAMES.join(', ')}`,
    preset,
    'minilm-l6',
  )
  .option('--docs <n>', 'documents per request', positiveInt, 32)
  .option('--requests <n>', 'timed requests per contender in each round', positiveInt, 8)
  .option('--rounds <n>', 'rounds, each running raw then engine', positiveInt, 6)
  .option('--batch-size <n>', 'rows per inference batch, for both contenders', positiveInt, 16)
  .option('--warmup <n>', 'untimed requests per contender before the first round', nonNegativeInt, 2)
  .option('--pair-tokens <n>', 'tokens of every pair, special tokens included', positiveInt, 128)
  .option('--json <file>', 'also write the results as JSON to this file')
  .action(async (opts: OverheadOptions & { json?: string }) => {
    const { json, ...options } = opts;
    const result = await runOverhead(options, (line) => process.stderr.write(`${line}\n`));
    process.stdout.write(overheadMarkdown(result));
    if (json) {
      const path = userPath(json);
      await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
      process.stderr.write(`wrote ${path}\n`);
    }
  });

await program.parseAsync();
