// Argument parsers and output helpers shared by the commands (the cli-<command>.ts files).
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DTYPES, type Dtype } from '@reranker/core';
import { PRESET_NAMES, PRESETS, type PresetName } from '@reranker/testkit';
import { InvalidArgumentError } from 'commander';

export const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};
export const nonNegativeInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer ≥ 0');
  return n;
};
export const dtypeArg = (value: string): Dtype => {
  if (!(DTYPES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected ${DTYPES.join(', ')}`);
  return value as Dtype;
};
// Under `pnpm bench` the script runs in packages/bench; INIT_CWD is where the user typed the command.
export const userPath = (path: string) => resolve(process.env.INIT_CWD ?? process.cwd(), path);
/** A parser of the package's own (throwing RerankerError) as commander reports bad arguments. */
export const commanderArg =
  <T>(parse: (value: string) => T) =>
  (value: string): T => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
export const positiveNumber = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0');
  return n;
};
/** Writes `text` to `file` (relative to where the command was typed), if a file was given. */
export async function writeOutput(file: string | undefined, text: string): Promise<void> {
  if (!file) return;
  const path = userPath(file);
  await writeFile(path, text);
  process.stderr.write(`wrote ${path}\n`);
}
/** A parser of preset names that accepts only `names`. */
export const presetArg =
  (names: readonly PresetName[]) =>
  (value: string): PresetName => {
    if (!(names as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected ${names.join(', ')}`);
    }
    return value as PresetName;
  };
// The fixed-length workloads build documents from WordPiece vocabulary words, so only BERT layouts fit;
// checked before anything is synthesized (an XLM-R preset can be gigabytes).
const BERT_PRESETS = PRESET_NAMES.filter((name) => PRESETS[name].architecture === 'bert');
/** `--preset` of the commands on synthesized BERT models (overhead, breakdown, compare, spinning). */
export const BERT_PRESET_OPTION = [
  '--preset <name>',
  `synthetic model preset (BERT layouts): ${BERT_PRESETS.join(', ')}`,
  presetArg(BERT_PRESETS),
  'minilm-l6' as PresetName,
] as const;
/** Prints a command's markdown on stdout and, with `--json <file>`, writes its whole result there. */
export async function printResult(markdown: string, result: unknown, json?: string): Promise<void> {
  process.stdout.write(markdown);
  await writeOutput(json, `${JSON.stringify(result, null, 2)}\n`);
}
