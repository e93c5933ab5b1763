import { describe, expect, it } from 'vitest';
import { planOnnxModel } from '../src/build';
import { BuildError, type HfConfig, SUPPORTED_MODEL_TYPES, type TensorInfo } from '../src/index';

/**
 * The DeBERTa-v2 module's config handling and graph plan, from tensor shapes alone (scores are checked
 * against the testkit's reference in packages/testkit and packages/node).
 */

/** mixedbread-ai/mxbai-rerank-base-v1's config.json keys, at its real shape. */
const MXBAI_BASE: HfConfig = {
  architectures: ['DebertaV2ForSequenceClassification'],
  hidden_act: 'gelu',
  hidden_size: 768,
  id2label: { 0: 'LABEL_0' },
  intermediate_size: 3072,
  layer_norm_eps: 1e-7,
  max_position_embeddings: 512,
  max_relative_positions: -1,
  model_type: 'deberta-v2',
  norm_rel_ebd: 'layer_norm',
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 0,
  pooler_dropout: 0,
  pooler_hidden_act: 'gelu',
  pooler_hidden_size: 768,
  pos_att_type: ['p2c', 'c2p'],
  position_biased_input: false,
  position_buckets: 256,
  relative_attention: true,
  share_att_key: true,
  type_vocab_size: 0,
  vocab_size: 128100,
};

/** The checkpoint's tensor shapes for `config` (F32), as DebertaV2ForSequenceClassification names them. */
function shapes(config: HfConfig, extra: [string, number[]][] = []): Map<string, TensorInfo> {
  const h = config.hidden_size as number;
  const ffn = config.intermediate_size as number;
  const list: [string, number[]][] = [
    ['deberta.embeddings.word_embeddings.weight', [config.vocab_size as number, h]],
    ['deberta.embeddings.LayerNorm.weight', [h]],
    ['deberta.embeddings.LayerNorm.bias', [h]],
  ];
  const linear = (name: string, out: number, inDim: number) =>
    list.push([`${name}.weight`, [out, inDim]], [`${name}.bias`, [out]]);
  const norm = (name: string) => list.push([`${name}.weight`, [h]], [`${name}.bias`, [h]]);
  for (let i = 0; i < (config.num_hidden_layers as number); i++) {
    const layer = `deberta.encoder.layer.${i}`;
    for (const p of ['query_proj', 'key_proj', 'value_proj']) linear(`${layer}.attention.self.${p}`, h, h);
    linear(`${layer}.attention.output.dense`, h, h);
    norm(`${layer}.attention.output.LayerNorm`);
    linear(`${layer}.intermediate.dense`, ffn, h);
    linear(`${layer}.output.dense`, h, ffn);
    norm(`${layer}.output.LayerNorm`);
  }
  list.push(['deberta.encoder.rel_embeddings.weight', [2 * (config.position_buckets as number), h]]);
  norm('deberta.encoder.LayerNorm');
  linear('pooler.dense', h, h);
  linear('classifier', 1, h);
  list.push(...extra);
  return new Map(list.map(([name, shape]) => [name, { name, shape, dtype: 'F32' }]));
}

const small = {
  ...MXBAI_BASE,
  hidden_size: 8,
  pooler_hidden_size: 8,
  intermediate_size: 16,
  num_attention_heads: 2,
  num_hidden_layers: 1,
  vocab_size: 20,
  position_buckets: 8,
};

function planError(config: HfConfig, tensors = shapes(config)): BuildError {
  try {
    planOnnxModel(config, tensors);
  } catch (error) {
    if (error instanceof BuildError) return error;
    throw error;
  }
  throw new Error('expected a BuildError');
}

describe('deberta-v2 graphs', () => {
  it('is a supported model_type', () => {
    expect(SUPPORTED_MODEL_TYPES).toContain('deberta-v2');
  });

  it('plans mxbai-rerank-base-v1 at its real shape: two inputs, logits, every tensor used', () => {
    const { model, initializers } = planOnnxModel(MXBAI_BASE, shapes(MXBAI_BASE));
    const graph = model.graph!;
    expect(graph.input!.map((i) => i.name)).toEqual(['input_ids', 'attention_mask']);
    expect(graph.output!.map((o) => o.name)).toEqual(['logits']);
    const weights = initializers.filter((i) => i.kind === 'weight');
    expect(weights).toHaveLength(shapes(MXBAI_BASE).size);
    // The bucket tables come from the sequence length in the graph, not from a fixed-size constant.
    const ops = new Set(graph.node!.map((n) => n.opType));
    for (const op of ['Range', 'Log', 'Ceil', 'Sign', 'GatherElements']) expect(ops).toContain(op);
  });

  it('takes token_type_ids only when type_vocab_size > 0, and reads pos_att_type as "p2c|c2p"', () => {
    const config = { ...small, type_vocab_size: 2, pos_att_type: 'p2c|c2p' };
    const tensors = shapes(config, [['deberta.embeddings.token_type_embeddings.weight', [2, 8]]]);
    const { model } = planOnnxModel(config, tensors);
    expect(model.graph!.input!.map((i) => i.name)).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
  });

  it.each([
    [{ position_biased_input: true }, /position_biased_input/],
    [{ relative_attention: false }, /relative_attention/],
    [{ share_att_key: false }, /share_att_key/],
    [{ pos_att_type: ['c2p', 'p2p'] }, /pos_att_type/],
    [{ pooler_hidden_act: 'tanh' }, /pooler_hidden_act/],
    [{ conv_kernel_size: 3 }, /conv_kernel_size/],
    [{ norm_rel_ebd: 'something' }, /norm_rel_ebd/],
  ])('refuses %j with a BuildError naming the key', (override, pattern) => {
    const error = planError({ ...small, ...override });
    expect(error.reason).toBe('unsupported');
    expect(error.message).toMatch(pattern);
  });

  it('names a checkpoint whose rel_embeddings do not match position_buckets', () => {
    const error = planError({ ...small, position_buckets: 16 }, shapes(small));
    expect(error.message).toMatch(/rel_embeddings/);
  });
});
