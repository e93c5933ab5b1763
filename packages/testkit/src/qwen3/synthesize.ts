import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildFromFolder, type Int8WeightType, type WriteOptions } from '@reranker/onnx-builder';
import { DEFAULT_SEED } from '../synthesize';
import { qwen3HubFiles } from './hub-files';
import { QWEN3_PRESETS, type Qwen3Dims, type Qwen3PresetName, validateQwen3Dims } from './presets';
import { QWEN3_RERANKER_TEMPLATE } from './template';
import { qwen3Weights, writeSafetensorsStreaming } from './weights';

export interface SynthesizeQwen3Options {
  /** A named preset; give this or `dims`. */
  preset?: Qwen3PresetName;
  dims?: Qwen3Dims;
  /** Seed of the random weights (the vocabulary does not depend on it). @default 42 */
  seed?: number;
  /** Folder to write; created if missing. */
  outDir: string;
  /**
   * Also write `onnx/model.onnx` in the onnx-community export layout (`input_ids`, `attention_mask`,
   * `position_ids`, `past_key_values.*` in; full-vocabulary `logits` and `present.*` out), built by
   * @reranker/onnx-builder from the same safetensors: what an Optimum export of this checkpoint
   * looks like. Causal LMs only. @default false
   */
  onnxCommunityExport?: boolean;
  /**
   * Also write `onnx/model.onnx` as the reranking prefix graph @reranker/onnx-builder builds (what a
   * Node loader builds from the safetensors at load), for backends that cannot build one (the web
   * backend reads files over HTTP). Not with `onnxCommunityExport`. @default false
   */
  prefixGraph?: boolean;
  /**
   * How the `onnx/model_quantized.onnx` written beside either graph (dynamic int8, the `q8` dtype hub
   * repos ship) stores its weights.
   * @default preferredInt8Weights() (this CPU's exact choice)
   */
  int8Weights?: Int8WeightType;
}

export interface SynthesizedQwen3 {
  dir: string;
  dims: Qwen3Dims;
  seed: number;
  /** Ids of the label tokens in this folder's vocabulary. */
  labelIds: { yes: number; no: number };
  files: string[];
}

/**
 * Writes a Qwen3-Reranker-layout folder (config, generation config, tokenizer files,
 * `model.safetensors` with transformers' parameter names, tied embeddings): real architecture and
 * cost, random weights. The same preset and seed give byte-identical files. No ONNX graph unless
 * `onnxCommunityExport` or `prefixGraph` asks for one (then with its dynamic int8 variant
 * `onnx/model_quantized.onnx`): graphs come from the graph builder, checked against `./reference`.
 */
export async function synthesizeQwen3(options: SynthesizeQwen3Options): Promise<SynthesizedQwen3> {
  if (options.preset && options.dims) throw new Error('give either preset or dims, not both');
  const dims = options.preset ? QWEN3_PRESETS[options.preset] : options.dims;
  if (!dims) throw new Error('give a preset or dims');
  validateQwen3Dims(dims);
  if (options.onnxCommunityExport && dims.head !== 'causal-lm')
    throw new Error('an onnx-community export is written for causal LMs only');
  if (options.onnxCommunityExport && options.prefixGraph)
    throw new Error('give onnxCommunityExport or prefixGraph, not both');
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new Error(`seed must be an integer from 0 to 4294967295, got ${seed}`);

  const hub = qwen3HubFiles(dims);
  const vocab = (hub['tokenizer.json'] as { model: { vocab: Record<string, number> } }).model.vocab;
  const { yes, no } = QWEN3_RERANKER_TEMPLATE.labels;
  const labelIds = { yes: vocab[yes]!, no: vocab[no]! };
  if (labelIds.yes === undefined || labelIds.no === undefined)
    throw new Error(`the vocabulary lacks a single-token "${yes}" or "${no}"`);

  const dir = options.outDir;
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [name, content] of Object.entries(hub)) {
    await writeFile(join(dir, name), `${JSON.stringify(content, null, 2)}\n`);
    files.push(name);
  }
  await writeSafetensorsStreaming(join(dir, 'model.safetensors'), qwen3Weights(dims, seed, labelIds));
  files.push('model.safetensors');
  const decoder: WriteOptions['decoder'] | undefined = options.onnxCommunityExport
    ? { layout: 'causal-lm' }
    : options.prefixGraph
      ? { layout: 'prefix', ...(dims.head === 'causal-lm' && { labelTokenIds: labelIds }) }
      : undefined;
  if (decoder) {
    await mkdir(join(dir, 'onnx'), { recursive: true });
    const written = await buildFromFolder(dir, join(dir, 'onnx', 'model.onnx'), { decoder });
    files.push(...written.files.map((f) => `onnx/${f}`));
    // The q8 variant hub repos ship beside model.onnx: dynamic int8, each weight quantized as it streams.
    const int8 = await buildFromFolder(dir, join(dir, 'onnx', 'model_quantized.onnx'), {
      decoder,
      quantizeInt8: { weightType: options.int8Weights },
    });
    files.push(...int8.files.map((f) => `onnx/${f}`));
  }
  await writeFile(join(dir, 'README.md'), readme(dims, seed, options.preset));
  files.push('README.md');
  return { dir, dims, seed, labelIds, files };
}

function readme(dims: Qwen3Dims, seed: number, preset: string | undefined): string {
  const arch =
    dims.family === 'qwen2'
      ? 'Qwen2ForCausalLM'
      : dims.head === 'seq-cls'
        ? 'Qwen3ForSequenceClassification'
        : 'Qwen3ForCausalLM';
  return [
    `# Synthetic ${dims.family === 'qwen2' ? 'Qwen2' : 'Qwen3'} reranker${preset ? ` (preset \`${preset}\`)` : ''}`,
    '',
    'Written by `@reranker/testkit` with seeded random weights. The architecture, tokenizer layout and',
    'compute cost are real; the weights are random, so its scores carry no meaning. Use it to test and',
    'benchmark, never to rank anything.',
    '',
    `- ${arch}, ${dims.numLayers} layers, hidden ${dims.hiddenSize}, ${dims.numHeads} heads (${dims.numKeyValueHeads} key/value), head_dim ${dims.headDim}, FFN ${dims.intermediateSize}`,
    `- vocabulary: ${dims.vocabSize}, tied embeddings, seed: ${seed}`,
    '',
  ].join('\n');
}
