// Argument parsers and output helpers shared by the commands of cli.ts, cli-table.ts and cli-load.ts.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DTYPES, type Dtype } from '@reranker/core';
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
