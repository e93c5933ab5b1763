import type { HfConfig, NamedTensor } from '../src/index';

/**
 * A small BERT or XLM-R sequence classifier for the builder's own tests: names and shapes as in
 * transformers, values from a fixed linear congruential sequence. (The testkit has the real
 * synthesizer and the reference pass; these tests only check formats and errors.)
 */
export function tinyConfig(
  modelType: 'bert' | 'xlm-roberta',
  overrides: Record<string, unknown> = {},
): HfConfig {
  return {
    model_type: modelType,
    hidden_size: 8,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: 16,
    vocab_size: 50,
    max_position_embeddings: 40,
    type_vocab_size: modelType === 'bert' ? 2 : 1,
    layer_norm_eps: 1e-5,
    pad_token_id: modelType === 'bert' ? 0 : 1,
    id2label: { 0: 'LABEL_0' },
    hidden_act: 'gelu',
    ...overrides,
  };
}

export function tinyCheckpoint(config: HfConfig): NamedTensor[] {
  let state = 12345;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  const h = config.hidden_size as number;
  const inter = config.intermediate_size as number;
  const tensors: NamedTensor[] = [];
  const add = (name: string, shape: number[]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    tensors.push({ name, shape, data: Float32Array.from({ length: size }, next) });
  };
  const linear = (prefix: string, out: number, inDim: number) => {
    add(`${prefix}.weight`, [out, inDim]);
    add(`${prefix}.bias`, [out]);
  };
  const norm = (prefix: string) => {
    add(`${prefix}.weight`, [h]);
    add(`${prefix}.bias`, [h]);
  };
  const enc = config.model_type === 'bert' ? 'bert' : 'roberta';
  add(`${enc}.embeddings.word_embeddings.weight`, [config.vocab_size as number, h]);
  add(`${enc}.embeddings.position_embeddings.weight`, [config.max_position_embeddings as number, h]);
  add(`${enc}.embeddings.token_type_embeddings.weight`, [config.type_vocab_size as number, h]);
  norm(`${enc}.embeddings.LayerNorm`);
  for (let i = 0; i < (config.num_hidden_layers as number); i++) {
    const layer = `${enc}.encoder.layer.${i}`;
    for (const part of ['query', 'key', 'value']) linear(`${layer}.attention.self.${part}`, h, h);
    linear(`${layer}.attention.output.dense`, h, h);
    norm(`${layer}.attention.output.LayerNorm`);
    linear(`${layer}.intermediate.dense`, inter, h);
    linear(`${layer}.output.dense`, h, inter);
    norm(`${layer}.output.LayerNorm`);
  }
  const labels = Object.keys((config.id2label as object) ?? { 0: 0 }).length;
  if (enc === 'bert') {
    linear('bert.pooler.dense', h, h);
    linear('classifier', labels, h);
  } else {
    linear('classifier.dense', h, h);
    linear('classifier.out_proj', labels, h);
  }
  return tensors;
}
