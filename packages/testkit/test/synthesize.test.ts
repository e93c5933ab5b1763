import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PRESETS, synthesizeCrossEncoder, synthesizedModelDir } from '../src/index';

const readJson = async (dir: string, file: string) => JSON.parse(await readFile(join(dir, file), 'utf8'));

describe('synthesized folder layout', () => {
  it('config.json describes a BERT sequence classifier as transformers writes it', async () => {
    const config = await readJson(await synthesizedModelDir('tiny-2label'), 'config.json');
    const dims = PRESETS['tiny-2label'];
    expect(config).toMatchObject({
      model_type: 'bert',
      architectures: ['BertForSequenceClassification'],
      num_labels: 2,
      id2label: { 0: 'LABEL_0', 1: 'LABEL_1' },
      hidden_size: dims.hiddenSize,
      num_hidden_layers: dims.numLayers,
      num_attention_heads: dims.numHeads,
      intermediate_size: dims.intermediateSize,
      max_position_embeddings: 512,
      type_vocab_size: 2,
      layer_norm_eps: 1e-12,
      pad_token_id: 0,
      vocab_size: dims.vocabSize,
    });
  });

  it('config.json describes an XLM-R classifier as in bge-reranker', async () => {
    const config = await readJson(await synthesizedModelDir('tiny-xlmr'), 'config.json');
    expect(config).toMatchObject({
      model_type: 'xlm-roberta',
      architectures: ['XLMRobertaForSequenceClassification'],
      max_position_embeddings: 514,
      type_vocab_size: 1,
      pad_token_id: 1,
      layer_norm_eps: 1e-5,
    });
    // The keys of BAAI/bge-reranker-v2-m3's config.json, plus our marker of synthetic weights.
    expect(Object.keys(config).sort()).toEqual(
      [
        '_name_or_path',
        'architectures',
        'attention_probs_dropout_prob',
        'bos_token_id',
        'classifier_dropout',
        'eos_token_id',
        'hidden_act',
        'hidden_dropout_prob',
        'hidden_size',
        'id2label',
        'initializer_range',
        'intermediate_size',
        'label2id',
        'layer_norm_eps',
        'max_position_embeddings',
        'model_type',
        'num_attention_heads',
        'num_hidden_layers',
        'output_past',
        'pad_token_id',
        'position_embedding_type',
        'torch_dtype',
        'transformers_version',
        'type_vocab_size',
        'use_cache',
        'vocab_size',
        '_synthetic',
      ].sort(),
    );
  });

  it.each(['tiny', 'tiny-xlmr'] as const)(
    '%s: tokenizer vocabulary has exactly vocab_size entries',
    async (preset) => {
      const dir = await synthesizedModelDir(preset);
      const tokenizer = await readJson(dir, 'tokenizer.json');
      const { vocab } = tokenizer.model;
      const size = Array.isArray(vocab) ? vocab.length : Object.keys(vocab).length;
      expect(size).toBe(PRESETS[preset].vocabSize);
      const config = await readJson(dir, 'tokenizer_config.json');
      expect(config.tokenizer_class).toBe(preset === 'tiny' ? 'BertTokenizer' : 'XLMRobertaTokenizer');
      expect(config.model_max_length).toBe(512);
    },
  );

  it('rejects impossible dimensions and bad seeds with a message naming the field', async () => {
    const outDir = join(tmpdir(), 'never-written');
    await expect(synthesizeCrossEncoder({ dims: { ...PRESETS.tiny, numHeads: 5 }, outDir })).rejects.toThrow(
      /hiddenSize \(32\) must be divisible by dims.numHeads \(5\)/,
    );
    await expect(synthesizeCrossEncoder({ dims: { ...PRESETS.tiny, numLabels: 3 }, outDir })).rejects.toThrow(
      /numLabels/,
    );
    await expect(synthesizeCrossEncoder({ preset: 'tiny', seed: -1, outDir })).rejects.toThrow(/seed/);
    await expect(
      synthesizeCrossEncoder({ dims: { ...PRESETS.tiny, vocabSize: 500 }, outDir }),
    ).rejects.toThrow(/vocabSize is 500/);
  });
});

describe('pnpm models:synth', () => {
  const root = resolve(import.meta.dirname, '../../..');
  const run = promisify(execFile);

  it('writes the preset folder and says the weights are random', async () => {
    const out = await mkdtemp(join(tmpdir(), 'reranker-cli-'));
    try {
      const { stdout } = await run(
        'pnpm',
        ['models:synth', '--preset', 'tiny', '--out', out, '--seed', '3'],
        { cwd: root },
      );
      expect(stdout).toMatch(/random weights/);
      expect((await readJson(out, 'config.json')).model_type).toBe('bert');
      const direct = await mkdtemp(join(tmpdir(), 'reranker-cli-'));
      await synthesizeCrossEncoder({ preset: 'tiny', seed: 3, outDir: direct });
      const [a, b] = await Promise.all([
        readFile(join(out, 'onnx/model.onnx')),
        readFile(join(direct, 'onnx/model.onnx')),
      ]);
      expect(a.equals(b)).toBe(true);
      await rm(direct, { recursive: true, force: true });
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('rejects an unknown preset with the list of presets', async () => {
    await expect(
      run('pnpm', ['models:synth', '--preset', 'huge', '--out', join(tmpdir(), 'x')], { cwd: root }),
    ).rejects.toMatchObject({
      stderr: expect.stringMatching(/expected one of tiny, tiny-2label, tiny-xlmr, minilm-l6, bge-base/),
    });
  });
});
