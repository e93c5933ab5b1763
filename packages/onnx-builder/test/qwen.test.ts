import { describe, expect, it } from 'vitest';
import { planOnnxModel } from '../src/build';
import { BuildError, type HfConfig, SUPPORTED_MODEL_TYPES, type TensorInfo } from '../src/index';

/**
 * The Qwen2/Qwen3 decoder module's config handling and graph plans, from tensor shapes alone (scores
 * are checked against the testkit's float64 reference in packages/testkit/test/qwen3-onnx*.test.ts).
 */

/** Qwen/Qwen3-Reranker-0.6B's config.json keys, at its real shape. */
const QWEN3_06B: HfConfig = {
  architectures: ['Qwen3ForCausalLM'],
  attention_bias: false,
  head_dim: 128,
  hidden_act: 'silu',
  hidden_size: 1024,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  model_type: 'qwen3',
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1_000_000,
  sliding_window: null,
  tie_word_embeddings: true,
  use_sliding_window: false,
  vocab_size: 151669,
};

const LABELS = { yes: 9454, no: 2152 };

/** The checkpoint's tensor shapes (F32), as transformers names them. */
function shapes(config: HfConfig, extra: [string, number[]][] = []): Map<string, TensorInfo> {
  const h = config.hidden_size as number;
  const heads = config.num_attention_heads as number;
  const d = (config.head_dim as number | undefined) ?? h / heads;
  const kv = (config.num_key_value_heads as number) * d;
  const ffn = config.intermediate_size as number;
  const qwen2 = config.model_type === 'qwen2';
  const list: [string, number[]][] = [['model.embed_tokens.weight', [config.vocab_size as number, h]]];
  for (let i = 0; i < (config.num_hidden_layers as number); i++) {
    const l = `model.layers.${i}`;
    list.push([`${l}.input_layernorm.weight`, [h]], [`${l}.self_attn.q_proj.weight`, [heads * d, h]]);
    list.push([`${l}.self_attn.k_proj.weight`, [kv, h]], [`${l}.self_attn.v_proj.weight`, [kv, h]]);
    if (qwen2) list.push([`${l}.self_attn.q_proj.bias`, [heads * d]], [`${l}.self_attn.k_proj.bias`, [kv]]);
    if (qwen2) list.push([`${l}.self_attn.v_proj.bias`, [kv]]);
    else list.push([`${l}.self_attn.q_norm.weight`, [d]], [`${l}.self_attn.k_norm.weight`, [d]]);
    list.push(
      [`${l}.self_attn.o_proj.weight`, [h, heads * d]],
      [`${l}.post_attention_layernorm.weight`, [h]],
    );
    list.push([`${l}.mlp.gate_proj.weight`, [ffn, h]], [`${l}.mlp.up_proj.weight`, [ffn, h]]);
    list.push([`${l}.mlp.down_proj.weight`, [h, ffn]]);
  }
  list.push(['model.norm.weight', [h]], ...extra);
  return new Map(list.map(([name, shape]) => [name, { name, shape, dtype: 'BF16' }]));
}

const small: HfConfig = {
  ...QWEN3_06B,
  head_dim: 8,
  hidden_size: 16,
  intermediate_size: 32,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  num_hidden_layers: 1,
  vocab_size: 50,
};

function planError(config: HfConfig, tensors = shapes(config), labels = { yes: 3, no: 4 }): BuildError {
  try {
    planOnnxModel(config, tensors, { decoder: { labelTokenIds: labels } });
  } catch (error) {
    if (error instanceof BuildError) return error;
    throw error;
  }
  throw new Error('expected a BuildError');
}

const names = (values: { name?: string | null }[] | null | undefined) => (values ?? []).map((v) => v.name);

describe('qwen decoder graphs', () => {
  it('are supported model_types', () => {
    expect(SUPPORTED_MODEL_TYPES).toEqual(expect.arrayContaining(['qwen3', 'qwen2']));
  });

  it('plans Qwen3-Reranker-0.6B at its real shape: prefix inputs, two-row head, every tensor used', () => {
    const { model, initializers } = planOnnxModel(QWEN3_06B, shapes(QWEN3_06B), {
      decoder: { labelTokenIds: LABELS },
    });
    const graph = model.graph!;
    expect(names(graph.input)).toHaveLength(2 + 2 * 28);
    expect(names(graph.input).slice(0, 4)).toEqual([
      'input_ids',
      'attention_mask',
      'past_key_values.0.key',
      'past_key_values.0.value',
    ]);
    expect(names(graph.output)).toHaveLength(1 + 2 * 28);
    const head = initializers.find((i) => i.kind === 'weight' && i.name === 'lm_head.no_yes');
    expect(head).toMatchObject({
      dims: [2, 1024],
      tensor: 'model.embed_tokens.weight',
      rows: [LABELS.no, LABELS.yes],
    });
    // The past enters with batch 1; the head runs once per row (no full-vocabulary MatMul).
    const pastDims = graph.input![2]!.type!.tensorType!.shape!.dim!;
    expect(pastDims.map((d) => d.dimParam || Number(d.dimValue))).toEqual([
      1,
      8,
      'past_sequence_length',
      128,
    ]);
    expect(graph.node!.filter((n) => n.opType === 'Gemm')).toHaveLength(1);
    expect(graph.node!.some((n) => n.opType === 'GatherND')).toBe(true);
  });

  it('plans the causal-lm layout with a tied full-vocabulary head read from the embedding', () => {
    const { model, initializers } = planOnnxModel(QWEN3_06B, shapes(QWEN3_06B), {
      decoder: { layout: 'causal-lm' },
    });
    expect(names(model.graph!.input).slice(0, 4)).toEqual([
      'input_ids',
      'attention_mask',
      'position_ids',
      'past_key_values.0.key',
    ]);
    // The embedding is stored once: the head's Gemm reads the same initializer.
    expect(
      initializers.filter((i) => i.kind === 'weight' && i.tensor === 'model.embed_tokens.weight'),
    ).toHaveLength(1);
    const gemm = model.graph!.node!.find((n) => n.opType === 'Gemm')!;
    expect(gemm.input![1]).toBe('model.embed_tokens.weight');
  });

  it('uses lm_head.weight when the checkpoint has one (untied), and q/k/v biases for Qwen2', () => {
    const untied = { ...small, tie_word_embeddings: false };
    const withHead = shapes(untied, [['lm_head.weight', [50, 16]]]);
    const { initializers } = planOnnxModel(untied, withHead, {
      decoder: { labelTokenIds: { yes: 3, no: 4 } },
    });
    expect(initializers.find((i) => i.kind === 'weight' && i.name === 'lm_head.no_yes')).toMatchObject({
      tensor: 'lm_head.weight',
    });
    expect(planError(untied).message).toBe('the checkpoint has no tensor lm_head.weight');

    const qwen2 = { ...small, architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', head_dim: undefined };
    const plan = planOnnxModel(qwen2, shapes(qwen2), { decoder: { labelTokenIds: { yes: 3, no: 4 } } });
    expect(
      plan.initializers.some((i) => i.kind === 'weight' && i.name === 'model.layers.0.self_attn.k_proj.bias'),
    ).toBe(true);
  });

  it.each([
    [{ architectures: ['Qwen3MoeForCausalLM'] }, 'unsupported', /architectures \["Qwen3MoeForCausalLM"\]/],
    [{ architectures: ['Qwen2ForCausalLM'] }, 'unsupported', /model_type qwen3/],
    [{ rope_scaling: { type: 'yarn', factor: 4 } }, 'unsupported', /rope_scaling/],
    [{ use_sliding_window: true }, 'unsupported', /use_sliding_window/],
    [{ hidden_act: 'gelu' }, 'unsupported', /hidden_act "gelu"/],
    [{ num_key_value_heads: 3 }, 'invalid-checkpoint', /not a multiple of num_key_value_heads/],
  ])('refuses %j with a BuildError naming the key', (override, reason, pattern) => {
    const error = planError({ ...small, ...override }, shapes(small));
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(pattern);
  });

  it('needs the label token ids for a causal LM, inside the vocabulary', () => {
    expect(() => planOnnxModel(small, shapes(small))).toThrow(/needs the label token ids/);
    expect(planError(small, shapes(small), { yes: 50, no: 4 }).message).toBe(
      'token id 50 is not a row of model.embed_tokens.weight (50 rows)',
    );
  });

  it('builds a one-label seq-cls head, refuses two labels and the causal-lm layout for it', () => {
    const seqCls = { ...small, architectures: ['Qwen3ForSequenceClassification'], num_labels: 1 };
    const tensors = shapes(seqCls, [['score.weight', [1, 16]]]);
    const { model } = planOnnxModel(seqCls, tensors);
    const meta = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key, p.value]));
    expect(meta).toEqual({ 'reranker.layout': 'decoder-seq-cls-prefix' });
    expect(planError({ ...seqCls, num_labels: 2 }, tensors).message).toMatch(/2 labels/);
    expect(() => planOnnxModel(seqCls, tensors, { decoder: { layout: 'causal-lm' } })).toThrow(/ForCausalLM/);
  });

  it('names a tensor the graph does not use', () => {
    const error = planError(small, shapes(small, [['model.layers.0.self_attn.o_proj.bias', [16]]]));
    expect(error.message).toBe(
      'the checkpoint has tensors a qwen3 Qwen3ForCausalLM graph does not use: model.layers.0.self_attn.o_proj.bias',
    );
  });
});
