import { type PresetName, synthesizedModelDir } from '@reranker/testkit';

/**
 * A synthesized preset whose `onnx/` graphs are the fused ones @reranker/node builds at load (the
 * testkit's hub folders hold a hub export's standard operators by default): benchmarks measure the
 * engine's own graphs.
 */
export function engineModelDir(
  preset: PresetName,
  onnx: 'inline' | 'external-data' = 'inline',
): Promise<string> {
  return synthesizedModelDir(preset, { layout: { operators: 'fused', onnx } });
}
