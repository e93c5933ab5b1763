import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
// onnx-proto is CommonJS: a default import, then its namespace.
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';

const { onnx } = onnxProto;

/**
 * The session options of the onnxruntime-node backend's workers (packages/node/src/onnx/worker.ts)
 * on the CPU provider, by default with every core as intra-op threads and spinning on (the backend's
 * defaults on a machine of this many cores): what both contenders of `fusion` run on.
 */
export function backendSessionOptions(
  threads = availableParallelism(),
  spinning = true,
): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: spinning ? '1' : '0' } } },
  };
}

/** The graph onnxruntime actually runs, summed up: node counts and how its int8 weights are stored. */
export interface OptimizedGraph {
  /** Node counts by op type (contrib ops as `com.microsoft:<op>`) on the path of padded batches. */
  counts: Record<string, number>;
  /** The same on the path of batches without padding (differs only where an If chooses by padding). */
  unpaddedCounts: Record<string, number>;
  /** Storage of the integer-MatMul weights (`int8`, `uint8` or both, sorted); empty for float graphs. */
  int8Weights: string[];
}

/**
 * The graph onnxruntime actually runs: the model is loaded with the backend's session options and
 * saved after optimization through `optimizedModelFilePath`, then that file is parsed.
 */
export async function optimizedGraph(modelPath: string): Promise<OptimizedGraph> {
  const dir = await mkdtemp(join(tmpdir(), 'reranker-fusion-'));
  try {
    const optimizedModelFilePath = join(dir, 'optimized.onnx');
    const options = backendSessionOptions();
    const session = await ort.InferenceSession.create(modelPath, {
      ...options,
      optimizedModelFilePath,
      logSeverityLevel: 3,
      // The weights in a file beside it: a protobuf stops at 2 GB (bge-m3), and only the nodes are read.
      extra: {
        session: {
          ...(options.extra as { session: Record<string, string> }).session,
          optimized_model_external_initializers_file_name: 'optimized.onnx_data',
        },
      },
    });
    await session.release();
    const graph = onnx.ModelProto.decode(await readFile(optimizedModelFilePath)).graph ?? {};
    return {
      counts: opCounts(graph, 'else_branch'),
      unpaddedCounts: opCounts(graph, 'then_branch'),
      int8Weights: int8WeightTypes(graph),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Node counts by op type of the graph onnxruntime runs (see optimizedGraph). */
export async function optimizedOpCounts(modelPath: string): Promise<Record<string, number>> {
  return (await optimizedGraph(modelPath)).counts;
}

/**
 * Which branch of every If to count: our graphs choose attention by padding (`then_branch`: no row
 * padded, flash MultiHeadAttention; `else_branch`: padded rows, the standard nodes).
 */
export type IfBranch = 'then_branch' | 'else_branch';

/**
 * Node counts by op type of a graph, If nodes followed into `branch` (the If itself counted too);
 * `Add→LayerNormalization` counts residual pairs left.
 */
export function opCounts(
  graph: onnxProto.onnx.IGraphProto,
  branch: IfBranch = 'else_branch',
): Record<string, number> {
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const collect = (g: onnxProto.onnx.IGraphProto) => {
    for (const node of g.node ?? []) {
      nodes.push(node);
      const sub = node.opType === 'If' ? node.attribute?.find((a) => a.name === branch)?.g : undefined;
      if (sub) collect(sub);
    }
  };
  collect(graph);
  const producers = new Map<string, string>();
  for (const node of nodes) for (const out of node.output ?? []) producers.set(out, node.opType ?? '');
  const counts: Record<string, number> = {};
  const add = (key: string) => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  for (const node of nodes) {
    add(node.domain ? `${node.domain}:${node.opType}` : (node.opType ?? ''));
    if (node.opType === 'LayerNormalization' && producers.get(node.input?.[0] ?? '') === 'Add')
      add(RESIDUAL_LAYER_NORM);
  }
  return counts;
}

// Their second input is the weight matrix, whatever the fusion made of MatMulInteger.
const INTEGER_MATMULS = new Set(['MatMulInteger', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat']);
const INTEGER_TYPES: Record<number, string> = {
  [onnx.TensorProto.DataType.INT8]: 'int8',
  [onnx.TensorProto.DataType.UINT8]: 'uint8',
};

/**
 * How the weights of the integer MatMuls are stored: onnxruntime picks its int8 kernel by it (signed
 * weights are fast where VNNI is, uint8 is exact without it; @reranker/onnx-builder int8-weights.ts).
 */
export function int8WeightTypes(graph: onnxProto.onnx.IGraphProto): string[] {
  const typeOf = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t.dataType ?? 0]));
  const types = new Set<string>();
  for (const node of graph.node ?? []) {
    if (!INTEGER_MATMULS.has(node.opType ?? '')) continue;
    const type = INTEGER_TYPES[typeOf.get(node.input?.[1] ?? '') ?? 0];
    if (type) types.add(type);
  }
  return [...types].sort();
}

/**
 * A LayerNormalization whose input is an Add: a residual sum not folded into SkipLayerNormalization.
 * Counted, not a leftover: the LayerNorm is one kernel, and on onnxruntime-node 1.30's CPU provider
 * Add + LayerNormalization measured faster than SkipLayerNormalization.
 */
export const RESIDUAL_LAYER_NORM = 'Add→LayerNormalization';

/**
 * What an unfused subgraph leaves behind on the CPU provider: attention computed by hand (Softmax),
 * a LayerNorm decomposed (ReduceMean, Pow, Sqrt), exact GELU by hand (Erf).
 */
export const LEFTOVER_OPS = ['Softmax', 'ReduceMean', 'Pow', 'Sqrt', 'Erf'] as const;

/** The fused kernels worth reporting: one node each standing for a whole subgraph. */
export const FUSED_OPS = [
  'com.microsoft:Attention',
  'com.microsoft:MultiHeadAttention',
  'com.microsoft:QAttention',
  'com.microsoft:EmbedLayerNormalization',
  'com.microsoft:SkipLayerNormalization',
  'com.microsoft:SkipSimplifiedLayerNormalization',
  'LayerNormalization',
  'com.microsoft:BiasGelu',
  'com.microsoft:FastGelu',
  'com.microsoft:Gelu',
  'com.microsoft:MatMulNBits',
  'com.microsoft:DynamicQuantizeMatMul',
  'com.microsoft:MatMulIntegerToFloat',
  'com.microsoft:FusedMatMul',
  'com.microsoft:FusedGemm',
] as const;

export interface FusionSummary {
  /** Counts of the FUSED_OPS present. */
  fused: Record<string, number>;
  /** LayerNormalizations fed by a residual Add (see RESIDUAL_LAYER_NORM). */
  residualAdds: number;
  /** Counts of every LEFTOVER_OPS entry (0 included). */
  leftovers: Record<string, number>;
  /** Sum of `leftovers`: 0 means nothing unfused of attention, LayerNorm or GELU is left. */
  leftoverTotal: number;
  /** Every node, for the JSON. */
  all: Record<string, number>;
}

export function summarizeFusion(counts: Record<string, number>): FusionSummary {
  const fused: Record<string, number> = {};
  for (const op of FUSED_OPS) if (counts[op]) fused[op] = counts[op];
  const leftovers: Record<string, number> = {};
  for (const op of LEFTOVER_OPS) leftovers[op] = counts[op] ?? 0;
  const leftoverTotal = Object.values(leftovers).reduce((a, b) => a + b, 0);
  return { fused, residualAdds: counts[RESIDUAL_LAYER_NORM] ?? 0, leftovers, leftoverTotal, all: counts };
}
