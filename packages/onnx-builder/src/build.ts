import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { architectureFor } from './architectures';
import type { DecoderGraphOptions } from './architectures/types';
import type { HfConfig } from './config';
import { BuildError } from './errors';
import { GraphBuilder, type Operators } from './graph-builder';
import type { PlannedModel } from './initializers';
import { preferredInt8Weights } from './int8-weights';
import { Params } from './params';
import type { QuantizeOptions } from './quantize';
import { quantizePlan } from './quantize-plan';
import { openCheckpoint } from './safetensors/checkpoint';
import { type ProgressCallback, serializeInline, weightBytes, writeExternal } from './serialize';
import { memoryWeights, type NamedTensor, type TensorInfo, type WeightSource } from './tensor';

/**
 * Changes whenever the builder writes different bytes for the same config and weights (another node
 * layout, other names). Part of the key of any cache of built graphs, with the `operators` option.
 * 2: attention and bias + GELU as onnxruntime contrib operators (`fused`).
 * 3: `fused` attention is an If: flash MultiHeadAttention without padding, standard nodes with it;
 *    GELU as standard nodes (onnxruntime fuses them itself, faster in int8 graphs).
 */
export const BUILDER_VERSION = '3';

/**
 * Weights past this many bytes go to external data by default: a protobuf stops at 2 GiB, and the
 * graph itself needs a little room beside the weights.
 */
export const INLINE_LIMIT_BYTES = 2_000_000_000;

export interface BuildOptions {
  /** `producer_name` recorded in the model. @default '@reranker/onnx-builder' */
  producerName?: string;
  /** For decoder (LLM) rerankers: which graph, and the label token ids. Cross-encoders ignore it. */
  decoder?: DecoderGraphOptions;
  /**
   * Write the dynamic int8 variant (`model_quantized.onnx`): the bytes of
   * `quantizeDynamicInt8(float32 model, options)`, but each weight is quantized as it streams in, so
   * this also works when the float32 graph would be past 2 GB. Inline only (no external data).
   * @default false
   */
  quantizeInt8?: boolean | QuantizeOptions;
  /** Called as weights are written, with the bytes done and the total. */
  onProgress?: ProgressCallback;
  /**
   * `fused`: what runs fastest on onnxruntime's CPU provider: each attention without a positional
   * bias is an If that runs one com.microsoft MultiHeadAttention without a mask (flash attention:
   * no [B, heads, S, S] scores) when no row is padded, the standard nodes otherwise; the rest as
   * `standard` (onnxruntime fuses LayerNorm and GELU itself). `standard`: standard ONNX operators
   * only, for runtimes without onnxruntime's contrib operators. Same scores either way (within
   * float32 rounding). Part of what decides the bytes: key caches of built graphs with it.
   * @default 'fused'
   */
  operators?: Operators;
}

export interface WriteOptions extends BuildOptions {
  /**
   * Put the weights in `<file>_data` beside the graph (ONNX external data). `auto` does so past
   * `INLINE_LIMIT_BYTES` (about 2 GB, where a protobuf stops).
   * @default 'auto'
   */
  externalData?: boolean | 'auto';
}

export interface WrittenModel {
  /** Files written, by name, in the folder of the model path: the graph, then its data if any. */
  files: string[];
  externalData: boolean;
  /** Bytes of the weights as stored: 4 per float32 value (1 per int8 value with `quantizeInt8`). */
  weightBytes: number;
}

/**
 * Plans the graph of `config` from the tensors' names and shapes only: which architecture, which
 * nodes, which tensor goes where. Throws a `BuildError` when the checkpoint does not fit the config,
 * including when a tensor is left over (a checkpoint with tensors this graph ignores is another model).
 */
export function planOnnxModel(
  config: HfConfig,
  tensors: ReadonlyMap<string, TensorInfo>,
  options: Pick<BuildOptions, 'producerName' | 'decoder' | 'quantizeInt8' | 'operators'> = {},
): PlannedModel {
  const architecture = architectureFor(config);
  const operators = options.operators ?? 'fused';
  if (operators !== 'fused' && operators !== 'standard')
    throw new BuildError('unsupported', `operators must be 'fused' or 'standard', got ${String(operators)}`);
  const g = new GraphBuilder(operators);
  const params = new Params(g, tensors);
  architecture.build(g, params, config, { decoder: options.decoder });
  const unused = params.unused();
  if (unused.length > 0) {
    const shown =
      unused.slice(0, 5).join(', ') + (unused.length > 5 ? `, and ${unused.length - 5} more` : '');
    throw new BuildError(
      'unsupported',
      `the checkpoint has tensors a ${String(config.model_type)} ${architecture.describe?.(config) ?? 'sequence classifier'} does not use: ${shown}`,
    );
  }
  const plan = g.finish({
    graphName: 'main_graph',
    producerName: options.producerName ?? '@reranker/onnx-builder',
    irVersion: 8,
    opset: 17,
  });
  const int8 = options.quantizeInt8;
  if (!int8) return plan;
  const settings = int8 === true ? {} : int8;
  return quantizePlan(plan, settings.perChannel ?? true, settings.weightType ?? preferredInt8Weights());
}

const asSource = (weights: WeightSource | readonly NamedTensor[]): WeightSource =>
  Array.isArray(weights) ? memoryWeights(weights as readonly NamedTensor[]) : (weights as WeightSource);

/**
 * The serialized ModelProto (opset 17, IR 8) of `<Model>ForSequenceClassification` for `config`,
 * weights inline. For models whose weights stay under `INLINE_LIMIT_BYTES`; `writeOnnxModel` writes
 * larger ones with external data.
 */
export async function buildOnnxModel(
  config: HfConfig,
  weights: WeightSource | readonly NamedTensor[],
  options: BuildOptions = {},
): Promise<Uint8Array> {
  const source = asSource(weights);
  const plan = planOnnxModel(config, source.tensors, options);
  const bytes = weightBytes(plan);
  if (bytes > INLINE_LIMIT_BYTES) {
    throw new BuildError(
      'unsupported',
      `the weights take ${(bytes / 1e9).toFixed(2)} GB, past the ~2 GB a single ONNX protobuf holds: use writeOnnxModel, which writes external data`,
    );
  }
  return serializeInline(plan, source, options.onProgress);
}

/**
 * Writes the graph to `path` (e.g. `onnx/model.onnx`, the folder must exist) and, with external data,
 * its weights to `<path>_data`. Weights stream from `weights` one tensor at a time.
 */
export async function writeOnnxModel(
  config: HfConfig,
  weights: WeightSource | readonly NamedTensor[],
  path: string,
  options: WriteOptions = {},
): Promise<WrittenModel> {
  const source = asSource(weights);
  const plan = planOnnxModel(config, source.tensors, options);
  const bytes = weightBytes(plan);
  const mode = options.externalData ?? 'auto';
  const external = mode === 'auto' ? bytes > INLINE_LIMIT_BYTES : mode;
  if (external && options.quantizeInt8) {
    throw new BuildError(
      'unsupported',
      `int8 weights are written inline only, and these take ${(bytes / 1e9).toFixed(2)} GB (or external data was asked for)`,
    );
  }
  if (external) {
    const files = await writeExternal(plan, source, path, options.onProgress);
    return { files, externalData: true, weightBytes: bytes };
  }
  await writeFile(path, await serializeInline(plan, source, options.onProgress));
  return { files: [basename(path)], externalData: false, weightBytes: bytes };
}

/**
 * Reads `config.json` and the safetensors checkpoint (`model.safetensors`, or sharded) of a Hugging
 * Face model folder and writes its graph to `path`.
 */
export async function buildFromFolder(
  dir: string,
  path: string,
  options: WriteOptions = {},
): Promise<WrittenModel> {
  let config: HfConfig;
  try {
    config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as HfConfig;
  } catch (error) {
    throw new BuildError('invalid-checkpoint', `${join(dir, 'config.json')} cannot be read as JSON`, {
      cause: error,
    });
  }
  const weights = await openCheckpoint(dir);
  try {
    return await writeOnnxModel(config, weights, path, options);
  } finally {
    await weights.close();
  }
}
