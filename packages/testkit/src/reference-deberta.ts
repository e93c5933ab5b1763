import { postNormEncoder } from './reference-layers';
import { gelu, layerNorm, linear, type Matrix, map, matrix, softmax } from './reference-math';

/**
 * The float64 forward pass of DebertaV2ForSequenceClassification over one unpadded sequence, written
 * from the Hugging Face definition (models/deberta_v2): embeddings without absolute positions,
 * disentangled self-attention (content-to-content plus c2p and p2c terms over log-bucketed relative
 * positions), post-LayerNorm layers, and the ContextPooler (dense + activation on [CLS]) before the
 * classifier. Independent of @reranker/onnx-builder by design.
 */

/** The DeBERTa-v2 keys of config.json this pass reads. */
export interface DebertaConfig {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  layer_norm_eps: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  id2label: Record<string, string>;
  relative_attention?: boolean;
  position_biased_input?: boolean;
  max_relative_positions?: number;
  position_buckets?: number;
  pos_att_type?: string | string[] | null;
  share_att_key?: boolean;
  norm_rel_ebd?: string;
  hidden_act?: string;
  pooler_hidden_act?: string;
}

/**
 * make_log_bucket_position for one relative distance: distances within ±(buckets/2) keep their value,
 * farther ones map logarithmically onto mid..buckets-1 (with their sign), reaching mid - 1 + mid at
 * `maxPosition - 1`.
 */
export function logBucketPosition(relative: number, buckets: number, maxPosition: number): number {
  const mid = Math.floor(buckets / 2);
  if (Math.abs(relative) <= mid) return relative;
  const abs = Math.abs(relative);
  const logPos = Math.ceil((Math.log(abs / mid) / Math.log((maxPosition - 1) / mid)) * (mid - 1)) + mid;
  return Math.sign(relative) * logPos;
}

/** The relative position of query token i to key token j (i - j), bucketed when the config says so. */
export function relativePosition(i: number, j: number, buckets: number, maxPosition: number): number {
  const relative = i - j;
  return buckets > 0 && maxPosition > 0 ? logBucketPosition(relative, buckets, maxPosition) : relative;
}

/** The attention types in config order; the config accepts "p2c|c2p" as well as a list. */
export function attentionTypes(config: DebertaConfig): string[] {
  const raw = config.pos_att_type ?? [];
  const list = typeof raw === 'string' ? raw.toLowerCase().split('|') : raw;
  return list.map((t) => t.trim());
}

function supportedOrThrow(config: DebertaConfig): void {
  const problems: string[] = [];
  if (config.relative_attention !== true) problems.push('relative_attention must be true');
  if (config.position_biased_input !== false) problems.push('position_biased_input must be false');
  if (config.share_att_key !== true) problems.push('share_att_key must be true');
  if ((config.hidden_act ?? 'gelu') !== 'gelu') problems.push('hidden_act must be gelu');
  if ((config.pooler_hidden_act ?? 'gelu') !== 'gelu') problems.push('pooler_hidden_act must be gelu');
  if (problems.length > 0) throw new Error(`reference (deberta-v2): ${problems.join('; ')}`);
}

export function debertaLogits(
  config: DebertaConfig,
  p: (name: string) => Float64Array,
  inputIds: number[],
  tokenTypeIds: number[] | undefined,
): number[] {
  supportedOrThrow(config);
  const h = config.hidden_size;
  const eps = config.layer_norm_eps;
  const seq = inputIds.length;

  // Embeddings: words (+ token types when the model has a table), LayerNorm. The mask multiply of the
  // definition is the identity on an unpadded sequence.
  const words = p('deberta.embeddings.word_embeddings.weight');
  const types = config.type_vocab_size > 0 ? p('deberta.embeddings.token_type_embeddings.weight') : undefined;
  let x = matrix(seq, h);
  for (let t = 0; t < seq; t++) {
    const type = tokenTypeIds?.[t] ?? 0;
    for (let i = 0; i < h; i++) {
      x.data[t * h + i] = words[inputIds[t]! * h + i]! + (types ? types[type * h + i]! : 0);
    }
  }
  x = layerNorm(x, p('deberta.embeddings.LayerNorm.weight'), p('deberta.embeddings.LayerNorm.bias'), eps);

  const buckets = config.position_buckets ?? -1;
  const maxRelative =
    (config.max_relative_positions ?? -1) < 1
      ? config.max_position_embeddings
      : config.max_relative_positions!;
  const span = buckets > 0 ? buckets : maxRelative;
  const relEmbeddings = p('deberta.encoder.rel_embeddings.weight');
  let rel: Matrix = { rows: 2 * span, cols: h, data: relEmbeddings.slice(0, 2 * span * h) };
  if (
    (config.norm_rel_ebd ?? 'none')
      .toLowerCase()
      .split('|')
      .map((s) => s.trim())
      .includes('layer_norm')
  )
    rel = layerNorm(rel, p('deberta.encoder.LayerNorm.weight'), p('deberta.encoder.LayerNorm.bias'), eps);

  const attTypes = attentionTypes(config);
  const relPos = (i: number, j: number) => relativePosition(i, j, buckets, maxRelative);
  x = postNormEncoder(x, 'deberta.encoder.layer', config, p, (x, dense) => {
    const proj = (input: Matrix, name: string) => dense(input, `attention.self.${name}`, h);
    return disentangledAttention({
      q: proj(x, 'query_proj'),
      k: proj(x, 'key_proj'),
      v: proj(x, 'value_proj'),
      // share_att_key: the relative embeddings go through the content projections.
      posQ: proj(rel, 'query_proj'),
      posK: proj(rel, 'key_proj'),
      heads: config.num_attention_heads,
      span,
      c2p: attTypes.includes('c2p'),
      p2c: attTypes.includes('p2c'),
      relPos,
    });
  });

  // ContextPooler: the first token, dense, pooler_hidden_act (gelu); then the linear classifier.
  const first: Matrix = { rows: 1, cols: h, data: x.data.slice(0, h) };
  const pooled = map(linear(first, p('pooler.dense.weight'), p('pooler.dense.bias'), h), gelu);
  const labels = Object.keys(config.id2label).length;
  return Array.from(linear(pooled, p('classifier.weight'), p('classifier.bias'), labels).data);
}

interface AttentionInputs {
  q: Matrix;
  k: Matrix;
  v: Matrix;
  /** Projected relative embeddings, one row per bucket index 0..2*span-1. */
  posQ: Matrix;
  posK: Matrix;
  heads: number;
  span: number;
  c2p: boolean;
  p2c: boolean;
  relPos: (i: number, j: number) => number;
}

/** Disentangled multi-head attention over one unpadded sequence. */
function disentangledAttention(a: AttentionInputs): Matrix {
  const { q, k, v, posQ, posK, span } = a;
  const seq = q.rows;
  const h = q.cols;
  const dh = h / a.heads;
  // Every term is divided by sqrt(dh * scale_factor), scale_factor = 1 + number of position terms.
  const scaleFactor = 1 + (a.c2p ? 1 : 0) + (a.p2c ? 1 : 0);
  const scale = 1 / Math.sqrt(dh * scaleFactor);
  const bucketIndex = (r: number) => Math.min(Math.max(r + span, 0), 2 * span - 1);
  const dot = (x: Matrix, xi: number, y: Matrix, yi: number, off: number) => {
    let sum = 0;
    for (let d = 0; d < dh; d++) sum += x.data[xi * h + off + d]! * y.data[yi * h + off + d]!;
    return sum;
  };
  const out = matrix(seq, h);
  const scores = new Float64Array(seq);
  for (let head = 0; head < a.heads; head++) {
    const off = head * dh;
    for (let i = 0; i < seq; i++) {
      for (let j = 0; j < seq; j++) {
        let s = dot(q, i, k, j, off);
        // content -> position: query i against the key-side embedding of position(i, j).
        if (a.c2p) s += dot(q, i, posK, bucketIndex(a.relPos(i, j)), off);
        // position -> content: key j against the query-side embedding of -position(j, i).
        if (a.p2c) s += dot(k, j, posQ, bucketIndex(-a.relPos(j, i)), off);
        scores[j] = s * scale;
      }
      const probs = softmax(scores);
      for (let d = 0; d < dh; d++) {
        let sum = 0;
        for (let j = 0; j < seq; j++) sum += probs[j]! * v.data[j * h + off + d]!;
        out.data[i * h + off + d] = sum;
      }
    }
  }
  return out;
}
