#!/usr/bin/env node
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { GRAPH_OPERATORS, ONNX_LAYOUTS, WEIGHTS_DTYPES } from './layout';
import { isPresetName, PRESET_NAMES } from './presets';
import { isQwen3PresetName, QWEN3_PRESET_NAMES } from './qwen3/presets';
import { synthesizeQwen3 } from './qwen3/synthesize';
import { DEFAULT_SEED, synthesizeCrossEncoder } from './synthesize';

const ALL_PRESETS = [...PRESET_NAMES, ...QWEN3_PRESET_NAMES];

const program = new Command()
  .name('reranker-synth')
  .description(
    'Write a synthetic reranker (real architecture and cost, random weights) in the Hugging Face folder layout.',
  )
  .requiredOption('--preset <name>', `model preset: ${ALL_PRESETS.join(', ')}`, (value) => {
    if (!isPresetName(value) && !isQwen3PresetName(value))
      throw new InvalidArgumentError(`expected one of ${ALL_PRESETS.join(', ')}`);
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
  )
  .option(
    '--operators <set>',
    `operators of the ONNX graphs: ${GRAPH_OPERATORS.join(', ')} (standard: as hub exports; fused: as @reranker/node builds)`,
    (value) => {
      if (!(GRAPH_OPERATORS as readonly string[]).includes(value))
        throw new InvalidArgumentError(`expected one of ${GRAPH_OPERATORS.join(', ')}`);
      return value;
    },
    'standard',
  )
  .option(
    '--prefix-graph',
    'Qwen3 presets: write the reranking prefix graph @reranker/node builds as onnx/model.onnx (with its q8 variant)',
  );

program.parse();
const { preset, out, seed, onnx, weightsDtype, shards, operators, prefixGraph } = program.opts<{
  preset: string;
  out: string;
  seed: number;
  onnx: (typeof ONNX_LAYOUTS)[number];
  weightsDtype: (typeof WEIGHTS_DTYPES)[number];
  shards: number;
  operators: (typeof GRAPH_OPERATORS)[number];
  prefixGraph?: boolean;
}>();
const started = performance.now();
// Under `pnpm models:synth` the script runs in the package folder; INIT_CWD is where the user typed it.
const outDir = resolve(process.env.INIT_CWD ?? process.cwd(), out);
let model: { dir: string; files: string[] };
if (isQwen3PresetName(preset)) {
  // Without --onnx, safetensors only; `--onnx inline` adds the onnx-community export (the hub layout)
  // and `--prefix-graph` the builder's prefix graph, each with model_quantized.onnx.
  const exported = onnx === 'inline' && program.getOptionValueSource('onnx') === 'cli';
  if (onnx === 'external-data')
    program.error('Qwen3 presets: --onnx inline (the onnx-community export) or none, or --prefix-graph');
  if (exported && prefixGraph) program.error('give --onnx inline or --prefix-graph, not both');
  if (weightsDtype !== 'F32' || shards !== 1)
    program.error(
      'Qwen3 presets are written as one float32 model.safetensors (no --weights-dtype, --shards)',
    );
  model = await synthesizeQwen3({
    preset,
    outDir,
    seed,
    onnxCommunityExport: exported,
    prefixGraph: prefixGraph ?? false,
  });
} else if (isPresetName(preset)) {
  model = await synthesizeCrossEncoder({
    preset,
    outDir,
    seed,
    layout: { onnx, weightsDtype, shards, operators },
  });
} else throw new Error('unreachable: preset validated by commander');
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  `wrote synthetic ${preset} (seed ${seed}, random weights: scores carry no meaning) to ${model.dir} in ${seconds} s`,
);
for (const file of model.files) console.log(`  ${file}`);
