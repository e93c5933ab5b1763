import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildOnnxModel, type HfConfig, openCheckpoint, quantizeDynamicInt8 } from '@reranker/onnx-builder';
// onnx-proto is CommonJS: a default import, then its namespace.
import onnxProto from 'onnx-proto';
import { cachedSynthesis } from './model-cache';
import type { PresetName } from './presets';
import { DEFAULT_SEED, synthesizeCrossEncoder } from './synthesize';

const { onnx } = onnxProto;
type NodeProto = onnxProto.onnx.INodeProto;

/**
 * A PUBLISHED-STYLE EXPORT, for comparison only: the graph as `torch.onnx.export` of
 * `<Model>ForSequenceClassification` writes it at opset 14 (the opset of the Optimum / transformers.js
 * exports on the hub), never what the engine runs. Standard operators throughout: attention as
 * MatMul / Div / Add / Softmax / MatMul with the extended mask (1 - mask) * float32 min, GELU as
 * Div / Erf / Add / Mul / Mul, and every LayerNorm decomposed into ReduceMean / Sub / Pow / Add / Sqrt
 * / Div / Mul / Add (LayerNormalization exists only from opset 17). onnxruntime fuses what it
 * recognizes of this when a session loads; our own graphs emit the fused operators directly.
 */
export async function publishedStyleExport(config: HfConfig, dir: string): Promise<Uint8Array> {
  const weights = await openCheckpoint(dir);
  try {
    const standard = await buildOnnxModel(config, weights, {
      operators: 'standard',
      producerName: 'published-style export (torch.onnx.export form, opset 14)',
    });
    return decomposeLayerNorms(standard);
  } finally {
    await weights.close();
  }
}

/** Rewrites every LayerNormalization (axis -1) into the opset-14 nodes torch exports for layer_norm. */
export function decomposeLayerNorms(modelBytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph!;
  const constants: onnxProto.onnx.ITensorProto[] = [];
  const scalar = (name: string, value: number) => {
    constants.push({ name, dims: [], dataType: onnx.TensorProto.DataType.FLOAT, floatData: [value] });
    return name;
  };
  const two = scalar('published_export_two', 2);
  const nodes: NodeProto[] = [];
  let n = 0;
  for (const node of graph.node ?? []) {
    if (node.opType !== 'LayerNormalization') {
      nodes.push(node);
      continue;
    }
    const [x, gamma, beta] = node.input as string[];
    const eps = node.attribute?.find((a) => a.name === 'epsilon')?.f ?? 1e-5;
    const axis = node.attribute?.find((a) => a.name === 'axis');
    if (axis && Number(axis.i) !== -1) throw new Error('decomposeLayerNorms: only axis -1 is written');
    const id = `ln${n++}`;
    const op = (opType: string, input: string[], out: string, attribute?: NodeProto['attribute']) => {
      nodes.push({ name: `${id}_${opType}_${out}`, opType, input, output: [out], attribute });
      return out;
    };
    const mean = [{ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [-1] }];
    const mu = op('ReduceMean', [x!], `${id}_mean`, mean);
    const centered = op('Sub', [x!, mu], `${id}_centered`);
    const variance = op('ReduceMean', [op('Pow', [centered, two], `${id}_squared`)], `${id}_var`, mean);
    const std = op('Sqrt', [op('Add', [variance, scalar(`${id}_eps`, eps)], `${id}_var_eps`)], `${id}_std`);
    const normalized = op('Div', [centered, std], `${id}_normalized`);
    const out = node.output![0]!;
    if (beta) op('Add', [op('Mul', [normalized, gamma!], `${id}_scaled`), beta], out);
    else op('Mul', [normalized, gamma!], out);
  }
  graph.node = nodes;
  graph.initializer = [...(graph.initializer ?? []), ...constants];
  model.opsetImport = [{ domain: '', version: 14 }];
  return onnx.ModelProto.encode(model).finish();
}

/**
 * A synthesized preset's folder (config, tokenizer, safetensors) with a published-style export as
 * `onnx/model.onnx` and its dynamic int8 variant as `onnx/model_quantized.onnx` (quantized as our
 * graphs are: the same weights, the same quantizer), written once and cached as the presets are.
 */
export async function publishedStyleModelDir(
  preset: PresetName,
  options: { seed?: number; root?: string } = {},
): Promise<string> {
  const seed = options.seed ?? DEFAULT_SEED;
  return cachedSynthesis(`${preset}.seed${seed}.published-style`, options.root, async (outDir) => {
    await synthesizeCrossEncoder({ preset, seed, outDir, layout: { onnx: 'none' } });
    const config = JSON.parse(await readFile(join(outDir, 'config.json'), 'utf8')) as HfConfig;
    const fp32 = await publishedStyleExport(config, outDir);
    await mkdir(join(outDir, 'onnx'), { recursive: true });
    await writeFile(join(outDir, 'onnx', 'model.onnx'), fp32);
    await writeFile(join(outDir, 'onnx', 'model_quantized.onnx'), quantizeDynamicInt8(fp32));
  });
}
