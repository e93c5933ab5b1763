import { open } from 'node:fs/promises';
import { SeededRandom } from '../rng';
import type { Qwen3Dims } from './presets';

/** A tensor known by name and shape before its values exist, so a writer can stream it. */
export interface LazyTensor {
  name: string;
  shape: number[];
  /** Makes the values; called once, in the list's order (the values come from one seeded stream). */
  values: () => Float32Array;
}

/**
 * Every parameter of `Qwen3ForCausalLM` with tied embeddings (no `lm_head.weight`) or of its seq-cls
 * conversion (plus `score.weight` [1, hidden] = embedding row of `yes` minus that of `no`, as the
 * published conversions build it), named as in transformers. Scaled so activations stay near unit
 * size through 28 layers: sub-layer outputs are shrunk by 1/sqrt(2 * layers) so the residual stream
 * grows slowly, q/k norm weights near 1 give attention scores of about unit spread (far from
 * uniform), and the embedding's 2/sqrt(hidden) spread gives logits of about 2.
 */
export function qwen3Weights(
  dims: Qwen3Dims,
  seed: number,
  labelIds: { yes: number; no: number },
): LazyTensor[] {
  const rng = new SeededRandom(seed);
  const h = dims.hiddenSize;
  const q = dims.numHeads * dims.headDim;
  const kv = dims.numKeyValueHeads * dims.headDim;
  const embedStd = 2 / Math.sqrt(h);
  const branch = embedStd / Math.sqrt(2 * dims.numLayers);
  const tensors: LazyTensor[] = [];
  const add = (name: string, shape: number[], std: number, mean = 0) => {
    tensors.push({ name, shape, values: () => rng.normalArray(shape[0]! * (shape[1] ?? 1), std, mean) });
  };
  let embedding: Float32Array | undefined;
  tensors.push({
    name: 'model.embed_tokens.weight',
    shape: [dims.vocabSize, h],
    values: () => {
      const values = rng.normalArray(dims.vocabSize * h, embedStd);
      // The label rows are kept on a 2^-16 grid (|v| < 2^7), so their float32 difference (score.weight
      // of the seq-cls twin) is exact and the twin's log-odds equal the causal LM's to float64 rounding.
      for (const id of [labelIds.yes, labelIds.no]) {
        for (let j = 0; j < h; j++) values[id * h + j] = Math.round(values[id * h + j]! * 65536) / 65536;
      }
      if (dims.head === 'seq-cls') embedding = values;
      return values;
    },
  });
  for (let i = 0; i < dims.numLayers; i++) {
    const layer = `model.layers.${i}`;
    add(`${layer}.input_layernorm.weight`, [h], 0.1, 1);
    if (dims.family === 'qwen2') {
      // Qwen2: q/k/v biases (in transformers' parameter order) and no q/k norms.
      for (const [name, rows] of [
        ['q_proj', q],
        ['k_proj', kv],
        ['v_proj', kv],
      ] as const) {
        add(`${layer}.self_attn.${name}.weight`, [rows, h], 1 / Math.sqrt(h));
        add(`${layer}.self_attn.${name}.bias`, [rows], 0.2);
      }
    } else {
      add(`${layer}.self_attn.q_proj.weight`, [q, h], 1 / Math.sqrt(h));
      add(`${layer}.self_attn.k_proj.weight`, [kv, h], 1 / Math.sqrt(h));
      add(`${layer}.self_attn.v_proj.weight`, [kv, h], 1 / Math.sqrt(h));
      add(`${layer}.self_attn.q_norm.weight`, [dims.headDim], 0.2, 1);
      add(`${layer}.self_attn.k_norm.weight`, [dims.headDim], 0.2, 1);
    }
    add(`${layer}.self_attn.o_proj.weight`, [h, q], branch / Math.sqrt(q));
    add(`${layer}.post_attention_layernorm.weight`, [h], 0.1, 1);
    add(`${layer}.mlp.gate_proj.weight`, [dims.intermediateSize, h], 1 / Math.sqrt(h));
    add(`${layer}.mlp.up_proj.weight`, [dims.intermediateSize, h], 1 / Math.sqrt(h));
    add(
      `${layer}.mlp.down_proj.weight`,
      [h, dims.intermediateSize],
      (2 * branch) / Math.sqrt(dims.intermediateSize),
    );
  }
  add('model.norm.weight', [h], 0.1, 1);
  if (dims.head === 'seq-cls') {
    tensors.push({
      name: 'score.weight',
      shape: [1, h],
      values: () => {
        if (!embedding) throw new Error('score.weight is made from the embedding, which comes first');
        const score = new Float32Array(h);
        // Subtracted in float32 as the conversions do; exact here (see the embedding's label rows).
        for (let j = 0; j < h; j++)
          score[j] = embedding[labelIds.yes * h + j]! - embedding[labelIds.no * h + j]!;
        embedding = undefined;
        return score;
      },
    });
  }
  return tensors;
}

/**
 * Writes a float32 safetensors file one tensor at a time: the header needs only names and shapes,
 * so the 2.4 GB preset never holds more than its largest tensor (the 622 MB embedding) in memory.
 * @reranker/onnx-builder's `encodeSafetensors` builds the whole file in one buffer, which cannot
 * exceed 2 GiB.
 */
export async function writeSafetensorsStreaming(
  path: string,
  tensors: readonly LazyTensor[],
): Promise<number> {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1) * 4;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8 + Buffer.byteLength(json));
  head.writeBigUInt64LE(BigInt(head.length - 8), 0);
  head.write(json, 8);
  const handle = await open(path, 'w');
  try {
    let position = 0;
    const write = async (bytes: Uint8Array) => {
      // In pieces: one write call stops short of 2 GiB.
      for (let at = 0; at < bytes.byteLength; at += 2 ** 28) {
        const piece = bytes.subarray(at, Math.min(bytes.byteLength, at + 2 ** 28));
        await handle.write(piece, 0, piece.byteLength, position);
        position += piece.byteLength;
      }
    };
    await write(head);
    for (const t of tensors) {
      const values = t.values();
      const expected = t.shape.reduce((a, b) => a * b, 1);
      if (values.length !== expected)
        throw new Error(`${t.name}: ${values.length} values for shape [${t.shape}]`);
      await write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
    return position;
  } finally {
    await handle.close();
  }
}
