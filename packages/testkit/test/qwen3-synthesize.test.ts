import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  encodeRerankPrompt,
  formatRerankPrompt,
  loadQwen3Reference,
  QWEN3_RERANKER_TEMPLATE,
  type Qwen3ReferenceModel,
  qwen3HiddenStates,
  qwen3LastLogits,
  qwen3SeqClsLogit,
  referenceYesNoScore,
  synthesizedQwen3Dir,
} from '../src/index';

// Fully offline: the hub is never asked; the synthesized folder must be enough on its own.
env.allowRemoteModels = false;
env.allowLocalModels = true;

const PAIRS = [
  { query: 'what is the capital of China?', document: 'The capital of China is Beijing.' },
  {
    query: 'Explain gravity',
    document:
      'Gravity is a force that attracts two bodies towards each other. It gives weight to physical objects and is responsible for the movement of planets around the sun.',
    instruction: 'Given a question, find the passage that answers it',
  },
  { query: 'café prices in Zürich 2024', document: '  Ünïcödé, emoji 🙂 and\ttabs\n\nnew lines  ' },
];

let causalDir: string;
let seqClsDir: string;
let causal: Qwen3ReferenceModel;
let seqCls: Qwen3ReferenceModel;
let library: Tokenizer;
let labelIds: { yes: number; no: number };
const encode = (text: string) => library.encode(text, { add_special_tokens: false }).ids;

beforeAll(async () => {
  causalDir = await synthesizedQwen3Dir('tiny-qwen3');
  seqClsDir = await synthesizedQwen3Dir('tiny-qwen3-seq-cls');
  causal = await loadQwen3Reference(causalDir);
  seqCls = await loadQwen3Reference(seqClsDir);
  const json = async (name: string) => JSON.parse(await readFile(join(causalDir, name), 'utf8'));
  library = new Tokenizer(await json('tokenizer.json'), await json('tokenizer_config.json'));
  const vocab = (await json('tokenizer.json')).model.vocab as Record<string, number>;
  labelIds = { yes: vocab.yes!, no: vocab.no! };
}, 120_000);

async function transformersTokenizer() {
  env.localModelPath = `${dirname(causalDir)}/`;
  return AutoTokenizer.from_pretrained(basename(causalDir));
}

describe('tiny-qwen3 hub folder', () => {
  it('has the Qwen3-Reranker config and no lm_head (tied embeddings)', async () => {
    const config = JSON.parse(await readFile(join(causalDir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      architectures: ['Qwen3ForCausalLM'],
      model_type: 'qwen3',
      hidden_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 16,
      tie_word_embeddings: true,
      rope_theta: 1_000_000,
      rms_norm_eps: 1e-6,
    });
    expect(causal.weights.has('lm_head.weight')).toBe(false);
    expect(causal.weights.get('model.layers.1.self_attn.k_norm.weight')?.length).toBe(16);
    expect(causal.weights.get('model.layers.0.self_attn.k_proj.weight')?.length).toBe(2 * 16 * 64);
    const seqConfig = JSON.parse(await readFile(join(seqClsDir, 'config.json'), 'utf8'));
    expect(seqConfig).toMatchObject({ architectures: ['Qwen3ForSequenceClassification'], num_labels: 1 });
  });

  it('"yes" and "no" are single vocabulary tokens, and encode to them in both libraries', async () => {
    const tokenizer = await transformersTokenizer();
    for (const word of ['yes', 'no'] as const) {
      expect(encode(word)).toEqual([labelIds[word]]);
      expect(tokenizer.encode(word, { add_special_tokens: false })).toEqual([labelIds[word]]);
      expect(tokenizer.convert_tokens_to_ids(word)).toBe(labelIds[word]);
    }
    expect(labelIds.yes).not.toBe(labelIds.no);
  });

  it('special tokens are single ids after the BPE vocabulary; the prompt words stay short', () => {
    const ids = encode('<|im_start|><|im_end|><|endoftext|><think></think>');
    expect(ids).toEqual([3001, 3002, 3000, 3024, 3025]);
    const bodyTokens = encode(' Judge whether the Document meets the requirements based on the Query');
    expect(bodyTokens.length).toBeLessThanOrEqual(13);
  });

  it('transformers.js AutoTokenizer and tokenizers.js give identical ids for full prompts, equal to the card-style encoding', async () => {
    const tokenizer = await transformersTokenizer();
    for (const pair of PAIRS) {
      const prompt = formatRerankPrompt(QWEN3_RERANKER_TEMPLATE, pair);
      const fromTransformers = tokenizer.encode(prompt, { add_special_tokens: false });
      const withDefaults = tokenizer.encode(prompt);
      expect(withDefaults).toEqual(fromTransformers); // no post-processor template adds tokens
      expect(encode(prompt)).toEqual(fromTransformers);
      expect(encodeRerankPrompt(QWEN3_RERANKER_TEMPLATE, pair, encode)).toEqual(fromTransformers);
      expect(tokenizer.decode(fromTransformers)).toBe(prompt.normalize('NFC'));
    }
  });
});

describe('Qwen3 reference forward pass on tiny-qwen3', () => {
  it("the seq-cls twin gives the causal LM's logit(yes) - logit(no) within 1e-9", () => {
    for (const pair of PAIRS) {
      const lm = referenceYesNoScore(causal, QWEN3_RERANKER_TEMPLATE, labelIds, pair, encode);
      const cls = referenceYesNoScore(seqCls, QWEN3_RERANKER_TEMPLATE, labelIds, pair, encode);
      expect(Math.abs(cls.score - lm.score)).toBeLessThan(1e-9);
      expect(lm.relevanceScore).toBeCloseTo(1 / (1 + Math.exp(-lm.score)), 15);
    }
  });

  it('P(yes) is the two-way softmax of the label logits at the last position', () => {
    const ids = encodeRerankPrompt(QWEN3_RERANKER_TEMPLATE, PAIRS[0]!, encode);
    const all = qwen3LastLogits(causal, ids);
    expect(all.length).toBe(3026);
    const [yes, no] = [all[labelIds.yes]!, all[labelIds.no]!];
    const { relevanceScore, score } = referenceYesNoScore(
      causal,
      QWEN3_RERANKER_TEMPLATE,
      labelIds,
      PAIRS[0]!,
      encode,
    );
    expect(score).toBeCloseTo(yes - no, 12);
    expect(relevanceScore).toBeCloseTo(Math.exp(yes) / (Math.exp(yes) + Math.exp(no)), 12);
    expect(qwen3SeqClsLogit(seqCls, ids)).toBeCloseTo(yes - no, 9);
  });

  it('is causal: appending tokens leaves earlier positions unchanged', () => {
    const ids = encode('The capital of China is Beijing.');
    const longer = [...ids, ...encode(' And more text follows here.')];
    const h = causal.config.hidden_size;
    const short = qwen3HiddenStates(causal, ids);
    const long = qwen3HiddenStates(causal, longer);
    for (let i = 0; i < short.length; i++) expect(long[i]).toBe(short[i]);
    // ...while the last position does depend on the earlier tokens.
    const swapped = qwen3HiddenStates(causal, [encode('The')[0]! + 1, ...ids.slice(1)]);
    const last = (s: Float64Array) => s.subarray((ids.length - 1) * h, ids.length * h);
    expect(Math.max(...last(swapped).map((v, j) => Math.abs(v - last(short)[j]!)))).toBeGreaterThan(1e-3);
  });

  it('RoPE is relative: a uniform position shift changes nothing, a gap changes the states', () => {
    const ids = encode('Query and Document');
    const a = qwen3HiddenStates(causal, ids);
    const shifted = qwen3HiddenStates(
      causal,
      ids,
      ids.map((_, i) => i + 7),
    );
    for (let i = 0; i < a.length; i++) expect(shifted[i]).toBeCloseTo(a[i]!, 9);
    const gap = qwen3HiddenStates(
      causal,
      ids,
      ids.map((_, i) => (i === 0 ? 0 : i + 5)),
    );
    expect(Math.max(...a.map((v, i) => Math.abs(v - gap[i]!)))).toBeGreaterThan(1e-4);
    // The first position attends only to itself, so it does not see the gap.
    const h = causal.config.hidden_size;
    for (let j = 0; j < h; j++) expect(gap[j]).toBe(a[j]);
  });

  it('documents get distinct, finite scores of sane size (the weights reach the logits)', () => {
    const scores = PAIRS.map(
      (pair) => referenceYesNoScore(causal, QWEN3_RERANKER_TEMPLATE, labelIds, pair, encode).score,
    );
    for (const s of scores) {
      expect(Number.isFinite(s)).toBe(true);
      expect(Math.abs(s)).toBeLessThan(30);
    }
    expect(new Set(scores.map((s) => s.toFixed(6))).size).toBe(scores.length);
    const spread = Math.max(...scores) - Math.min(...scores);
    expect(spread).toBeGreaterThan(0.01);
  });
});
