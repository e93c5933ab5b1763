import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readCheckpoint } from '../safetensors';
import { applyRope, causalAttention, matmulT, rmsNorm, ropeInverseFrequencies, sigmoid, silu } from './math';
import { encodeRerankPrompt, type RerankPromptInput, type YesNoRerankerTemplate } from './template';

/** The `config.json` fields the reference reads. */
export interface Qwen3ReferenceConfig {
  architectures: string[];
  /** `qwen2`: no per-head q/k norms, biases on q/k/v (transformers' `Qwen2Attention`). */
  model_type?: string;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim?: number;
  intermediate_size: number;
  rms_norm_eps: number;
  rope_theta: number;
  vocab_size: number;
  tie_word_embeddings?: boolean;
  hidden_act?: string;
  attention_bias?: boolean;
}

export interface Qwen3ReferenceModel {
  config: Qwen3ReferenceConfig;
  /** Parameters by transformers name, as stored (float32 values; all arithmetic is float64). */
  weights: Map<string, Float32Array>;
}

/** Reads a Qwen3 folder's config and safetensors with the kit's own reader (not the graph builder's). */
export async function loadQwen3Reference(dir: string): Promise<Qwen3ReferenceModel> {
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Qwen3ReferenceConfig;
  if (config.hidden_act !== undefined && config.hidden_act !== 'silu')
    throw new Error(`the Qwen3 reference implements hidden_act silu, got ${config.hidden_act}`);
  if (config.attention_bias) throw new Error('the Qwen3 reference has no attention_bias option');
  const weights = new Map<string, Float32Array>();
  for (const [name, entry] of await readCheckpoint(dir)) weights.set(name, entry.data);
  return { config, weights };
}

function param(model: Qwen3ReferenceModel, name: string): Float32Array {
  const value = model.weights.get(name);
  if (!value) throw new Error(`checkpoint lacks ${name}`);
  return value;
}

/**
 * The final-norm hidden states [T, hidden] of one unpadded sequence: embedding lookup, then per layer
 * x += o_proj(attention(RMSNorm(x))) with per-head q/k RMSNorm (Qwen3; Qwen2 adds q/k/v biases
 * instead) before rotate-half RoPE and causal
 * grouped-query attention, x += down(silu(gate(n)) * up(n)) with n = RMSNorm(x), then the final
 * RMSNorm. `positions` default to 0..T-1.
 */
export function qwen3HiddenStates(
  model: Qwen3ReferenceModel,
  ids: readonly number[],
  positions?: readonly number[],
): Float64Array {
  const c = model.config;
  const h = c.hidden_size;
  const d = c.head_dim ?? h / c.num_attention_heads;
  const T = ids.length;
  const pos = positions ?? ids.map((_, i) => i);
  if (pos.length !== T) throw new Error('positions must match the ids in length');
  const qwen2 = c.model_type === 'qwen2';
  const embed = param(model, 'model.embed_tokens.weight');
  let x: Float64Array = new Float64Array(T * h);
  ids.forEach((id, t) => {
    if (!Number.isInteger(id) || id < 0 || id >= c.vocab_size)
      throw new Error(`token id ${id} outside the vocabulary`);
    for (let j = 0; j < h; j++) x[t * h + j] = embed[id * h + j]!;
  });
  const invFreq = ropeInverseFrequencies(d, c.rope_theta);
  const rotate = (states: Float64Array, heads: number) => {
    for (let t = 0; t < T; t++) {
      for (let head = 0; head < heads; head++) {
        const at = (t * heads + head) * d;
        states.set(applyRope(states.subarray(at, at + d), pos[t]!, invFreq), at);
      }
    }
  };
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = (name: string) => param(model, `model.layers.${l}.${name}`);
    const n1 = rmsNorm(x, h, p('input_layernorm.weight'), c.rms_norm_eps);
    // Qwen2Attention: q/k/v Linear layers with biases. Qwen3Attention: no biases, and an RMSNorm over
    // each head's vector of q and of k (before RoPE).
    const project = (name: string, heads: number) => {
      const y = matmulT(n1, T, p(`self_attn.${name}.weight`), heads * d);
      if (qwen2) {
        const bias = p(`self_attn.${name}.bias`);
        for (let i = 0; i < y.length; i++) y[i] = y[i]! + bias[i % (heads * d)]!;
      }
      return y;
    };
    const headNorm = (y: Float64Array, name: string) =>
      qwen2 ? y : rmsNorm(y, d, p(`self_attn.${name}.weight`), c.rms_norm_eps);
    const q = headNorm(project('q_proj', c.num_attention_heads), 'q_norm');
    const k = headNorm(project('k_proj', c.num_key_value_heads), 'k_norm');
    const v = project('v_proj', c.num_key_value_heads);
    rotate(q, c.num_attention_heads);
    rotate(k, c.num_key_value_heads);
    const attended = causalAttention(q, k, v, T, c.num_attention_heads, c.num_key_value_heads, d);
    x = addInto(x, matmulT(attended, T, p('self_attn.o_proj.weight'), h));
    const n2 = rmsNorm(x, h, p('post_attention_layernorm.weight'), c.rms_norm_eps);
    const gate = matmulT(n2, T, p('mlp.gate_proj.weight'), c.intermediate_size);
    const up = matmulT(n2, T, p('mlp.up_proj.weight'), c.intermediate_size);
    for (let i = 0; i < gate.length; i++) gate[i] = silu(gate[i]!) * up[i]!;
    x = addInto(x, matmulT(gate, T, p('mlp.down_proj.weight'), h));
  }
  return rmsNorm(x, h, param(model, 'model.norm.weight'), c.rms_norm_eps);
}

function addInto(x: Float64Array, y: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + y[i]!;
  return x;
}

/** The head's rows: `lm_head.weight` if the checkpoint has one, else the tied embedding. */
function headRows(model: Qwen3ReferenceModel): Float32Array {
  return model.weights.get('lm_head.weight') ?? param(model, 'model.embed_tokens.weight');
}

/** Causal-LM logits at the last position, for the given vocabulary ids (all of them if omitted). */
export function qwen3LastLogits(
  model: Qwen3ReferenceModel,
  ids: readonly number[],
  vocabIds?: readonly number[],
): Float64Array {
  const h = model.config.hidden_size;
  const states = qwen3HiddenStates(model, ids);
  const last = states.subarray((ids.length - 1) * h, ids.length * h);
  const rows = headRows(model);
  const wanted = vocabIds ?? Array.from({ length: model.config.vocab_size }, (_, i) => i);
  return Float64Array.from(wanted, (id) => {
    let sum = 0;
    for (let j = 0; j < h; j++) sum += last[j]! * rows[id * h + j]!;
    return sum;
  });
}

/** `Qwen3ForSequenceClassification` with one label: `score.weight` applied at the last position. */
export function qwen3SeqClsLogit(model: Qwen3ReferenceModel, ids: readonly number[]): number {
  const h = model.config.hidden_size;
  const states = qwen3HiddenStates(model, ids);
  const score = param(model, 'score.weight');
  if (score.length !== h) throw new Error(`score.weight must be [1, ${h}] for one label`);
  let sum = 0;
  for (let j = 0; j < h; j++) sum += states[(ids.length - 1) * h + j]! * score[j]!;
  return sum;
}

export interface YesNoScore {
  /** logit(yes) - logit(no): the log-odds. */
  score: number;
  /** softmax over (no, yes) at the last position = sigmoid(score). */
  relevanceScore: number;
}

/**
 * Scores one (query, document) pair as the Qwen3-Reranker model card does: the prompt's ids, the
 * last position's logits of the label tokens, P(yes) over the two. A seq-cls checkpoint gives the
 * log-odds from its score head instead. `encode` maps text to ids without special tokens added.
 */
export function referenceYesNoScore(
  model: Qwen3ReferenceModel,
  template: YesNoRerankerTemplate,
  labelIds: { yes: number; no: number },
  input: RerankPromptInput,
  encode: (text: string) => number[],
): YesNoScore {
  const ids = encodeRerankPrompt(template, input, encode);
  const seqCls = model.config.architectures.includes('Qwen3ForSequenceClassification');
  const score = seqCls
    ? qwen3SeqClsLogit(model, ids)
    : (() => {
        const [yes, no] = qwen3LastLogits(model, ids, [labelIds.yes, labelIds.no]);
        return yes! - no!;
      })();
  return { score, relevanceScore: sigmoid(score) };
}
