import type { NamedTensor } from '@reranker/onnx-builder';
import { SeededRandom } from './rng';

/**
 * Collects seeded random tensors in the order they are added (the order decides the bytes): `add`
 * any shape, `linear` a weight scaled by 1/sqrt(in) with a bias, `layerNorm` a weight around 1 with
 * a bias. Every architecture's weight generator writes through one of these.
 */
export function weightWriter(seed: number, hiddenSize: number) {
  const rng = new SeededRandom(seed);
  const tensors: NamedTensor[] = [];
  const add = (name: string, shape: number[], std: number, mean = 0) => {
    const size = shape.reduce((a, b) => a * b, 1);
    tensors.push({ name, shape, data: rng.normalArray(size, std, mean) });
  };
  const linear = (prefix: string, outDim: number, inDim: number) => {
    add(`${prefix}.weight`, [outDim, inDim], 1 / Math.sqrt(inDim));
    add(`${prefix}.bias`, [outDim], 0.1);
  };
  const layerNorm = (prefix: string) => {
    add(`${prefix}.weight`, [hiddenSize], 0.1, 1);
    add(`${prefix}.bias`, [hiddenSize], 0.1);
  };
  return { tensors, add, linear, layerNorm };
}
