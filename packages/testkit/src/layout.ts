import type { Operators, SafetensorsDtype } from '@reranker/onnx-builder';

/** How a synthesized folder lays its files out, as hub repos vary. */
export interface SynthesizedLayout {
  /**
   * - `inline`: `onnx/model.onnx` with its dtype variants `model_quantized.onnx` and `model_fp16.onnx`;
   * - `external-data`: `onnx/model.onnx` with its weights in `onnx/model.onnx_data` (the layout of
   *   exports over 2 GB; no dtype variants);
   * - `none`: no `onnx/` folder, as repos that publish only the PyTorch weights.
   * @default 'inline'
   */
  onnx?: 'inline' | 'external-data' | 'none';
  /**
   * How `model.safetensors` stores the weights. With F16 or BF16 the weights are rounded to that
   * format first, so every file of the folder holds the same model.
   * @default 'F32'
   */
  weightsDtype?: SafetensorsDtype;
  /** Split the weights into this many shards plus `model.safetensors.index.json`. @default 1 */
  shards?: number;
  /**
   * Operators of the `onnx/` graphs. `standard` (ONNX operators only) is what hub exports (Optimum,
   * Xenova) hold, and what every onnxruntime provider runs, WebGPU included; `fused` is what
   * @reranker/node builds at load (an If choosing onnxruntime's com.microsoft MultiHeadAttention for
   * unpadded batches), for tests and benchmarks of the engine's own graphs. Ignored with `onnx: 'none'`.
   * @default 'standard'
   */
  operators?: Operators;
}

export const ONNX_LAYOUTS = ['inline', 'external-data', 'none'] as const;
export const WEIGHTS_DTYPES = ['F32', 'F16', 'BF16'] as const;
export const GRAPH_OPERATORS = ['standard', 'fused'] as const;

export function resolveLayout(layout: SynthesizedLayout = {}): Required<SynthesizedLayout> {
  const resolved = {
    onnx: 'inline',
    weightsDtype: 'F32',
    shards: 1,
    operators: 'standard',
    ...layout,
  } as const;
  if (!ONNX_LAYOUTS.includes(resolved.onnx))
    throw new Error(`layout.onnx must be one of ${ONNX_LAYOUTS.join(', ')}, got ${String(resolved.onnx)}`);
  if (!WEIGHTS_DTYPES.includes(resolved.weightsDtype))
    throw new Error(
      `layout.weightsDtype must be one of ${WEIGHTS_DTYPES.join(', ')}, got ${String(resolved.weightsDtype)}`,
    );
  if (!Number.isInteger(resolved.shards) || resolved.shards < 1)
    throw new Error(`layout.shards must be a positive integer, got ${String(resolved.shards)}`);
  if (!GRAPH_OPERATORS.includes(resolved.operators))
    throw new Error(
      `layout.operators must be one of ${GRAPH_OPERATORS.join(', ')}, got ${String(resolved.operators)}`,
    );
  return resolved;
}

/** A short name of a layout for folder names: `inline-F32-1-standard` (`none-F32-1` without graphs). */
export function layoutKey(layout: SynthesizedLayout = {}): string {
  const { onnx, weightsDtype, shards, operators } = resolveLayout(layout);
  return `${onnx}-${weightsDtype}-${shards}${onnx === 'none' ? '' : `-${operators}`}`;
}
