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

/**
 * Node counts by op type (contrib ops as `com.microsoft:<op>`) of the graph onnxruntime actually runs:
 * the model is loaded with the backend's session options and saved after optimization through
 * `optimizedModelFilePath`, then that file is parsed.
 */
export async function optimizedOpCounts(modelPath: string): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'reranker-fusion-'));
  try {
    const optimizedModelFilePath = join(dir, 'optimized.onnx');
    const session = await ort.InferenceSession.create(modelPath, {
      ...backendSessionOptions(),
      optimizedModelFilePath,
      logSeverityLevel: 3,
    });
    await session.release();
    return opCounts(await readFile(optimizedModelFilePath));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Node counts by op type of a serialized model; `Add→LayerNormalization` counts residual pairs left. */
export function opCounts(modelBytes: Uint8Array): Record<string, number> {
  const nodes = onnx.ModelProto.decode(modelBytes).graph?.node ?? [];
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
