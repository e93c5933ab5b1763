import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildOnnxModel,
  encodeSafetensors,
  encodeShardedSafetensors,
  type Int8WeightType,
  openCheckpoint,
  quantizeDynamicInt8,
  storeWeightsAsFloat16,
  writeOnnxModel,
} from '@reranker/onnx-builder';
import { hfConfig } from './hf-config';
import { resolveLayout, type SynthesizedLayout } from './layout';
import { type ModelDims, PRESETS, type PresetName, validateDims } from './presets';
import { tokenizerFiles } from './tokenizer-files';
import { generateWeights } from './weights';

export interface SynthesizeOptions {
  /** How `model_quantized.onnx` stores its weights. @default preferredInt8Weights() (this CPU's exact choice) */
  int8Weights?: Int8WeightType;
  /** A named preset; give this or `dims`. */
  preset?: PresetName;
  /** Explicit dimensions, for shapes no preset has. */
  dims?: ModelDims;
  /** Seed of the random weights. @default 42 */
  seed?: number;
  /** Folder to write; created if missing. */
  outDir: string;
  /** Which files, in which formats. @default ONNX inline with its dtype variants, F32 model.safetensors */
  layout?: SynthesizedLayout;
}

export interface SynthesizedModel {
  dir: string;
  dims: ModelDims;
  seed: number;
  /** Files written, relative to `dir`. */
  files: string[];
}

export const DEFAULT_SEED = 42;

/**
 * Writes a cross-encoder folder in the layout `from_pretrained` reads: config, tokenizer files,
 * `model.safetensors`, `onnx/model.onnx` and its dtype variants `onnx/model_quantized.onnx` (dynamic
 * int8) and `onnx/model_fp16.onnx` (float16 weights, float32 compute); `layout` varies the formats
 * and the graphs' operators (standard ONNX operators, as hub exports, unless it asks for `fused`).
 * Real architecture and cost, random weights: its scores mean nothing, but every backend must
 * reproduce them exactly. The graphs come from @reranker/onnx-builder.
 */
export async function synthesizeCrossEncoder(options: SynthesizeOptions): Promise<SynthesizedModel> {
  const dims = resolveDims(options);
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`seed must be an integer from 0 to 4294967295, got ${seed}`);
  }
  // Built before anything is written, so a vocabulary that does not fit fails without leaving a folder.
  const tokenizer = tokenizerFiles(dims);
  const dir = options.outDir;
  const layout = resolveLayout(options.layout);
  await mkdir(layout.onnx === 'none' ? dir : join(dir, 'onnx'), { recursive: true });

  // Written one at a time so a large preset never holds both weight files in memory at once.
  const files: string[] = [];
  const write = async (name: string, content: string | Uint8Array) => {
    await writeFile(join(dir, name), content);
    files.push(name);
  };
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const config = hfConfig(dims);
  await write('config.json', json(config));
  for (const [name, content] of Object.entries(tokenizer)) await write(name, json(content));
  const weights = generateWeights(dims, seed);
  const encoding = { dtype: layout.weightsDtype };
  if (layout.shards === 1) await write('model.safetensors', encodeSafetensors(weights, encoding));
  else {
    for (const [name, bytes] of encodeShardedSafetensors(weights, layout.shards, encoding))
      await write(name, bytes);
  }
  // Hub exports hold standard operators (layout.operators), so the kit's hub folders do too by default.
  const graph = { producerName: '@reranker/testkit', operators: layout.operators };
  if (layout.onnx === 'inline' && layout.weightsDtype === 'F32') {
    const fp32 = await buildOnnxModel(config, weights, graph);
    await write('onnx/model.onnx', fp32);
    // The dtype variants Hugging Face repos ship next to model.onnx, made from the same float32 graph.
    await write('onnx/model_quantized.onnx', quantizeDynamicInt8(fp32, { weightType: options.int8Weights }));
    await write('onnx/model_fp16.onnx', storeWeightsAsFloat16(fp32));
  } else if (layout.onnx !== 'none') {
    // From the files just written, so the graph holds the weights as rounded to the stored dtype.
    const stored = await openCheckpoint(dir);
    try {
      const externalData = layout.onnx === 'external-data';
      const written = await writeOnnxModel(config, stored, join(dir, 'onnx', 'model.onnx'), {
        ...graph,
        externalData,
      });
      files.push(...written.files.map((file) => `onnx/${file}`));
      if (!externalData) {
        const fp32 = await readFile(join(dir, 'onnx', 'model.onnx'));
        await write(
          'onnx/model_quantized.onnx',
          quantizeDynamicInt8(fp32, { weightType: options.int8Weights }),
        );
        await write('onnx/model_fp16.onnx', storeWeightsAsFloat16(fp32));
      }
    } finally {
      await stored.close();
    }
  }
  await write('README.md', readme(dims, seed, options.preset));
  return { dir, dims, seed, files };
}

function resolveDims(options: SynthesizeOptions): ModelDims {
  if (options.preset && options.dims) throw new Error('give either preset or dims, not both');
  if (options.preset) {
    const dims = PRESETS[options.preset];
    if (!dims)
      throw new Error(`unknown preset "${options.preset}"; presets: ${Object.keys(PRESETS).join(', ')}`);
    return dims;
  }
  if (!options.dims) throw new Error('give a preset or dims');
  validateDims(options.dims);
  return options.dims;
}

function readme(dims: ModelDims, seed: number, preset: string | undefined): string {
  return [
    `# Synthetic cross-encoder${preset ? ` (preset \`${preset}\`)` : ''}`,
    '',
    'Written by `@reranker/testkit` with seeded random weights. The architecture, tokenizer layout and',
    'compute cost are real; the weights are random, so its scores carry no meaning. Use it to test and',
    'benchmark, never to rank anything.',
    '',
    `- architecture: ${dims.architecture}, ${dims.numLayers} layers, hidden ${dims.hiddenSize}, ${dims.numHeads} heads, FFN ${dims.intermediateSize}`,
    `- vocabulary: ${dims.vocabSize}, labels: ${dims.numLabels}, seed: ${seed}`,
    '',
  ].join('\n');
}
