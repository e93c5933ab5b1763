#!/usr/bin/env node
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { isPresetName, PRESET_NAMES } from './presets';
import { DEFAULT_SEED, synthesizeCrossEncoder } from './synthesize';

const program = new Command()
  .name('reranker-synth')
  .description(
    'Write a synthetic cross-encoder (real architecture and cost, random weights) in the Hugging Face folder layout.',
  )
  .requiredOption('--preset <name>', `model preset: ${PRESET_NAMES.join(', ')}`, (value) => {
    if (!isPresetName(value)) throw new InvalidArgumentError(`expected one of ${PRESET_NAMES.join(', ')}`);
    return value;
  })
  .requiredOption('--out <dir>', 'folder to write (created if missing)')
  .option(
    '--seed <n>',
    'seed of the random weights',
    (value) => {
      const seed = Number(value);
      if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
        throw new InvalidArgumentError('expected an integer from 0 to 4294967295');
      }
      return seed;
    },
    DEFAULT_SEED,
  );

program.parse();
const { preset, out, seed } = program.opts<{ preset: string; out: string; seed: number }>();
if (!isPresetName(preset)) throw new Error('unreachable: preset validated by commander');

const started = performance.now();
// Under `pnpm models:synth` the script runs in the package folder; INIT_CWD is where the user typed it.
const outDir = resolve(process.env.INIT_CWD ?? process.cwd(), out);
const model = await synthesizeCrossEncoder({ preset, outDir, seed });
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  `wrote synthetic ${preset} (seed ${seed}, random weights: scores carry no meaning) to ${model.dir} in ${seconds} s`,
);
for (const file of model.files) console.log(`  ${file}`);
