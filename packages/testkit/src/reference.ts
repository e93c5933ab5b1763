import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DebertaConfig, debertaLogits } from './reference-deberta';
import { postNormEncoder } from './reference-layers';
import { layerNorm, linear, type Matrix, map, matrix, softmax } from './reference-math';
import { type ModernBertReferenceConfig, modernBertLogits } from './reference-modernbert';
import { readCheckpoint } from './safetensors';

/** The `config.json` keys the reference pass reads (Hugging Face names). */
export type ReferenceConfig = EncoderReferenceConfig | ModernBertReferenceConfig;

/** BERT, XLM-RoBERTa and DeBERTa-v2 (its own keys optional here). */
export interface EncoderReferenceConfig extends Partial<Omit<DebertaConfig, keyof ReferenceCommon>> {
  model_type: 'bert' | 'xlm-roberta' | 'deberta-v2';
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  layer_norm_eps: number;
  pad_token_id: number;
  id2label: Record<string, string>;
}

type ReferenceCommon = Pick<
  DebertaConfig,
  | 'hidden_size'
  | 'num_hidden_layers'
  | 'num_attention_heads'
  | 'intermediate_size'
  | 'layer_norm_eps'
  | 'id2label'
>;

/** A model's config and float64 copies of its parameters, keyed by Hugging Face name. */
export interface ReferenceModel {
  config: ReferenceConfig;
  params: Map<string, Float64Array>;
}

/** One tokenized, unpadded input sequence. */
export interface ReferenceInput {
  inputIds: number[];
  /** Segment ids; BERT pairs use 0 for the query part and 1 for the document. Defaults to all 0. */
  tokenTypeIds?: number[];
}

/** Reads `config.json` and the safetensors weights (single file or sharded) of a Hugging Face model folder. */
export async function loadReferenceModel(dir: string): Promise<ReferenceModel> {
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as ReferenceConfig;
  if (!['bert', 'xlm-roberta', 'deberta-v2', 'modernbert'].includes(config.model_type)) {
    throw new Error(
      `reference: model_type ${String(config.model_type)} is not supported (bert, xlm-roberta, deberta-v2, modernbert)`,
    );
  }
  const tensors = await readCheckpoint(dir);
  const params = new Map<string, Float64Array>();
  for (const [name, entry] of tensors) params.set(name, Float64Array.from(entry.data));
  return { config, params };
}

/**
 * Logits of one sequence, computed in float64 from the BERT / XLM-RoBERTa definitions
 * (post-LayerNorm encoder, exact GELU, first-token classification head). No padding, no mask:
 * padding is a backend's business, and a backend must give the unpadded answer.
 */
export function referenceLogits(model: ReferenceModel, input: ReferenceInput): number[] {
  const { config } = model;
  const p = (name: string): Float64Array => {
    const value = model.params.get(name);
    if (!value) throw new Error(`reference: parameter ${name} missing from model.safetensors`);
    return value;
  };
  if (config.model_type === 'modernbert')
    return modernBertLogits(config, p, (name) => model.params.has(name), input.inputIds);
  if (config.model_type === 'deberta-v2')
    return debertaLogits(config as unknown as DebertaConfig, p, input.inputIds, input.tokenTypeIds);
  return encoderLogits(config, p, input);
}

function encoderLogits(
  config: EncoderReferenceConfig,
  p: (name: string) => Float64Array,
  input: ReferenceInput,
): number[] {
  const prefix = config.model_type === 'bert' ? 'bert' : 'roberta';
  const h = config.hidden_size;
  const eps = config.layer_norm_eps;
  const ids = input.inputIds;
  const types = input.tokenTypeIds ?? ids.map(() => 0);

  // XLM-R counts positions from padding_idx + 1 over non-pad tokens (create_position_ids_from_input_ids).
  const positions: number[] = [];
  let seen = 0;
  for (const id of ids) {
    if (config.model_type === 'bert') positions.push(positions.length);
    else if (id === config.pad_token_id) positions.push(config.pad_token_id);
    else positions.push(++seen + config.pad_token_id);
  }

  const words = p(`${prefix}.embeddings.word_embeddings.weight`);
  const posTable = p(`${prefix}.embeddings.position_embeddings.weight`);
  const typeTable = p(`${prefix}.embeddings.token_type_embeddings.weight`);
  let x = matrix(ids.length, h);
  for (let t = 0; t < ids.length; t++) {
    for (let i = 0; i < h; i++) {
      x.data[t * h + i] =
        words[ids[t]! * h + i]! + posTable[positions[t]! * h + i]! + typeTable[types[t]! * h + i]!;
    }
  }
  x = layerNorm(x, p(`${prefix}.embeddings.LayerNorm.weight`), p(`${prefix}.embeddings.LayerNorm.bias`), eps);

  x = postNormEncoder(x, `${prefix}.encoder.layer`, config, p, (x, dense) =>
    selfAttention(
      dense(x, 'attention.self.query', h),
      dense(x, 'attention.self.key', h),
      dense(x, 'attention.self.value', h),
      config.num_attention_heads,
    ),
  );

  const first: Matrix = { rows: 1, cols: h, data: x.data.slice(0, h) };
  const labels = Object.keys(config.id2label).length;
  const [poolName, outName] =
    config.model_type === 'bert'
      ? ['bert.pooler.dense', 'classifier']
      : ['classifier.dense', 'classifier.out_proj'];
  const pooled = map(linear(first, p(`${poolName}.weight`), p(`${poolName}.bias`), h), Math.tanh);
  return Array.from(linear(pooled, p(`${outName}.weight`), p(`${outName}.bias`), labels).data);
}

/** Multi-head scaled dot-product attention over one unpadded sequence. */
function selfAttention(q: Matrix, k: Matrix, v: Matrix, heads: number): Matrix {
  const seq = q.rows;
  const h = q.cols;
  const dh = h / heads;
  const scale = 1 / Math.sqrt(dh);
  const out = matrix(seq, h);
  const scores = new Float64Array(seq);
  for (let head = 0; head < heads; head++) {
    const off = head * dh;
    for (let i = 0; i < seq; i++) {
      for (let j = 0; j < seq; j++) {
        let dot = 0;
        for (let d = 0; d < dh; d++) dot += q.data[i * h + off + d]! * k.data[j * h + off + d]!;
        scores[j] = dot * scale;
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

/** Largest absolute difference between two equally long vectors (parity checks against the reference). */
export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) {
    throw new Error(`maxAbsDiff: lengths differ (${actual.length} vs ${expected.length})`);
  }
  let max = 0;
  for (let i = 0; i < actual.length; i++) max = Math.max(max, Math.abs(actual[i]! - expected[i]!));
  return Number.isNaN(max) ? Number.POSITIVE_INFINITY : max;
}

/** Kendall's tau-a of two score lists: (concordant - discordant) / all pairs; ties count as neither. */
export function kendallTau(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length < 2)
    throw new Error('kendallTau needs two lists of equal length >= 2');
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) sum += Math.sign(a[i]! - a[j]!) * Math.sign(b[i]! - b[j]!);
  }
  return sum / ((a.length * (a.length - 1)) / 2);
}
