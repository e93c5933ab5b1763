import { add, gelu, layerNorm, linear, type Matrix, map, matrix, softmax } from './reference-math';

/**
 * The float64 forward pass of ModernBertForSequenceClassification, written from the transformers
 * model definition (eager attention path) for one unpadded sequence. Independent of the graph
 * builder: it shares no code with @reranker/onnx-builder.
 */

/** The ModernBERT `config.json` keys the pass reads (transformers 4.x names). */
export interface ModernBertReferenceConfig {
  model_type: 'modernbert';
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  pad_token_id: number;
  norm_eps?: number;
  norm_bias?: boolean;
  attention_bias?: boolean;
  mlp_bias?: boolean;
  classifier_bias?: boolean;
  classifier_pooling?: 'cls' | 'mean';
  global_attn_every_n_layers?: number;
  local_attention?: number;
  global_rope_theta?: number;
  local_rope_theta?: number;
  id2label: Record<string, string>;
}

/** Whether layer `layer` attends globally (HF: `layer_id % global_attn_every_n_layers == 0`). */
export function isGlobalLayer(
  config: Pick<ModernBertReferenceConfig, 'global_attn_every_n_layers'>,
  layer: number,
) {
  return layer % (config.global_attn_every_n_layers ?? 3) === 0;
}

/**
 * Which keys query `i` may attend in a sequence of `length`: all of them, or in a local layer those
 * within `local_attention // 2` on either side.
 */
export function attendable(length: number, i: number, halfWindow: number | undefined): boolean[] {
  return Array.from({ length }, (_, j) => halfWindow === undefined || Math.abs(i - j) <= halfWindow);
}

/**
 * Rotary embedding of one head vector at `position` (the "rotate half" layout HF uses):
 * out = x cos(p w) + rotate_half(x) sin(p w), w_k = theta^(-2k/d) for both halves.
 */
export function applyRotary(x: Float64Array, position: number, theta: number): Float64Array {
  const d = x.length;
  const half = d / 2;
  const out = new Float64Array(d);
  for (let k = 0; k < half; k++) {
    const angle = position * theta ** ((-2 * k) / d);
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    out[k] = x[k]! * c - x[k + half]! * s;
    out[k + half] = x[k + half]! * c + x[k]! * s;
  }
  return out;
}

/** Logits of one unpadded sequence. `p` returns a parameter by its Hugging Face name. */
export function modernBertLogits(
  config: ModernBertReferenceConfig,
  p: (name: string) => Float64Array,
  has: (name: string) => boolean,
  ids: readonly number[],
): number[] {
  const h = config.hidden_size;
  const eps = config.norm_eps ?? 1e-5;
  const zeros = (n: number) => new Float64Array(n);
  const norm = (x: Matrix, prefix: string) =>
    layerNorm(x, p(`${prefix}.weight`), config.norm_bias ? p(`${prefix}.bias`) : zeros(h), eps);
  const dense = (x: Matrix, prefix: string, out: number, bias: boolean) =>
    linear(x, p(`${prefix}.weight`), bias ? p(`${prefix}.bias`) : zeros(out), out);

  const table = p('model.embeddings.tok_embeddings.weight');
  let x = matrix(ids.length, h);
  for (let t = 0; t < ids.length; t++) x.data.set(table.subarray(ids[t]! * h, ids[t]! * h + h), t * h);
  x = norm(x, 'model.embeddings.norm');

  for (let l = 0; l < config.num_hidden_layers; l++) {
    const layer = `model.layers.${l}`;
    const global = isGlobalLayer(config, l);
    // HF makes layer 0's attn_norm an nn.Identity (the checkpoint has no weight for it).
    if (l === 0 && has(`${layer}.attn_norm.weight`)) throw new Error('reference: layer 0 has an attn_norm');
    const normed = l === 0 ? x : norm(x, `${layer}.attn_norm`);
    const qkv = dense(normed, `${layer}.attn.Wqkv`, 3 * h, config.attention_bias ?? false);
    const context = rotaryAttention(qkv, config, global);
    x = add(x, dense(context, `${layer}.attn.Wo`, h, config.attention_bias ?? false));

    const inter = config.intermediate_size;
    const wi = dense(norm(x, `${layer}.mlp_norm`), `${layer}.mlp.Wi`, 2 * inter, config.mlp_bias ?? false);
    const gated = matrix(ids.length, inter);
    for (let t = 0; t < ids.length; t++) {
      for (let i = 0; i < inter; i++)
        gated.data[t * inter + i] = gelu(wi.data[t * 2 * inter + i]!) * wi.data[t * 2 * inter + inter + i]!;
    }
    x = add(x, dense(gated, `${layer}.mlp.Wo`, h, config.mlp_bias ?? false));
  }
  x = norm(x, 'model.final_norm');

  const pooled = matrix(1, h);
  if ((config.classifier_pooling ?? 'cls') === 'cls') pooled.data.set(x.data.subarray(0, h));
  else {
    for (let i = 0; i < h; i++) {
      let sum = 0;
      for (let t = 0; t < ids.length; t++) sum += x.data[t * h + i]!;
      pooled.data[i] = sum / ids.length;
    }
  }
  const head = norm(map(dense(pooled, 'head.dense', h, config.classifier_bias ?? false), gelu), 'head.norm');
  const labels = Object.keys(config.id2label).length;
  return Array.from(dense(head, 'classifier', labels, true).data);
}

/** Multi-head attention over `qkv` ([S, 3H]: q, k, v blocks), q and k rotated, window in local layers. */
function rotaryAttention(qkv: Matrix, config: ModernBertReferenceConfig, global: boolean): Matrix {
  const seq = qkv.rows;
  const h = config.hidden_size;
  const heads = config.num_attention_heads;
  const dh = h / heads;
  const theta = global ? (config.global_rope_theta ?? 160000) : (config.local_rope_theta ?? 10000);
  const halfWindow = global ? undefined : Math.floor((config.local_attention ?? 128) / 2);
  const out = matrix(seq, h);
  const headVector = (t: number, block: number, head: number) =>
    qkv.data.slice(t * 3 * h + block * h + head * dh, t * 3 * h + block * h + (head + 1) * dh);
  for (let head = 0; head < heads; head++) {
    const q = Array.from({ length: seq }, (_, t) => applyRotary(headVector(t, 0, head), t, theta));
    const k = Array.from({ length: seq }, (_, t) => applyRotary(headVector(t, 1, head), t, theta));
    const v = Array.from({ length: seq }, (_, t) => headVector(t, 2, head));
    for (let i = 0; i < seq; i++) {
      const allowed = attendable(seq, i, halfWindow);
      const keys = allowed.flatMap((ok, j) => (ok ? [j] : []));
      const scores = Float64Array.from(keys, (j) => {
        let dot = 0;
        for (let d = 0; d < dh; d++) dot += q[i]![d]! * k[j]![d]!;
        return dot / Math.sqrt(dh);
      });
      const probs = softmax(scores);
      for (let d = 0; d < dh; d++) {
        let sum = 0;
        keys.forEach((j, n) => {
          sum += probs[n]! * v[j]![d]!;
        });
        out.data[i * h + head * dh + d] = sum;
      }
    }
  }
  return out;
}
