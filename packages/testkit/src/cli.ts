#!/usr/bin/env node
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ONNX_LAYOUTS, WEIGHTS_DTYPES } from './layout';
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
  )
  .option(
    '--onnx <layout>',
    `ONNX files: ${ONNX_LAYOUTS.join(', ')} (none: a safetensors-only repo)`,
    (value) => {
      if (!(ONNX_LAYOUTS as readonly string[]).includes(value))
        throw new InvalidArgumentError(`expected one of ${ONNX_LAYOUTS.join(', ')}`);
      return value;
    },
    'inline',
  )
  .option(
    '--weights-dtype <dtype>',
    `how model.safetensors stores the weights: ${WEIGHTS_DTYPES.join(', ')}`,
    (value) => {
      if (!(WEIGHTS_DTYPES as readonly string[]).includes(value))
        throw new InvalidArgumentError(`expected one of ${WEIGHTS_DTYPES.join(', ')}`);
      return value;
    },
    'F32',
  )
  .option(
    '--shards <n>',
    'split the weights into n safetensors shards with an index',
    (value) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
      return n;
    },
    1,
  );

program.parse();
const { preset, out, seed, onnx, weightsDtype, shards } = program.opts<{
  preset: string;
  out: string;
  seed: number;
  onnx: (typeof ONNX_LAYOUTS)[number];
  weightsDtype: (typeof WEIGHTS_DTYPES)[number];
  shards: number;
}>();
if (!isPresetName(preset)) throw new Error('unreachable: preset validated by commander');

const started = performance.now();
// Under `pnpm models:synth` the script runs in the package folder; INIT_CWD is where the user typed it.
const outDir = resolve(process.env.INIT_CWD ?? process.cwd(), out);
const model = await synthesizeCrossEncoder({ preset, outDir, seed, layout: { onnx, weightsDtype, shards } });
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  `wrote synthetic ${preset} (seed ${seed}, random weights: scores carry no meaning) to ${model.dir} in ${seconds} s`,
);
for (const file of model.files) console.log(`  ${file}`);
