import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeSafetensors } from '@reranker/onnx-builder';
import { describe, expect, it } from 'vitest';
import { PRESETS, synthesizedModelDir } from '../src/index';
import { decodeSafetensors } from '../src/safetensors';

describe('model.safetensors', () => {
  it('round-trips tensors and aligns the data section to 8 bytes', () => {
    const tensors = [
      { name: 'a.weight', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      { name: 'a.bias', shape: [2], data: Float32Array.from([-1, 0.5]) },
    ];
    const bytes = encodeSafetensors(tensors);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const { metadata, tensors: read } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt' });
    expect(read.get('a.weight')).toEqual({ dtype: 'F32', shape: [2, 3], data: tensors[0]!.data });
    expect(read.get('a.bias')?.data).toEqual(tensors[1]!.data);
  });

  it('rejects a truncated file with a clear error', () => {
    const bytes = encodeSafetensors([{ name: 'w', shape: [4], data: new Float32Array(4) }]);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4))).toThrow(/w offsets/);
    expect(() => decodeSafetensors(bytes.subarray(0, 4))).toThrow(/shorter/);
  });

  it('carries the Hugging Face parameter names and shapes of BertForSequenceClassification', async () => {
    const dims = PRESETS.tiny;
    const dir = await synthesizedModelDir('tiny');
    const { tensors } = decodeSafetensors(await readFile(join(dir, 'model.safetensors')));
    const h = dims.hiddenSize;
    const expected: Record<string, number[]> = {
      'bert.embeddings.word_embeddings.weight': [dims.vocabSize, h],
      'bert.embeddings.position_embeddings.weight': [512, h],
      'bert.embeddings.token_type_embeddings.weight': [2, h],
      'bert.embeddings.LayerNorm.weight': [h],
      'bert.encoder.layer.0.attention.self.query.weight': [h, h],
      'bert.encoder.layer.1.attention.output.LayerNorm.bias': [h],
      'bert.encoder.layer.1.intermediate.dense.weight': [dims.intermediateSize, h],
      'bert.encoder.layer.1.output.dense.weight': [h, dims.intermediateSize],
      'bert.pooler.dense.weight': [h, h],
      'classifier.weight': [1, h],
      'classifier.bias': [1],
    };
    for (const [name, shape] of Object.entries(expected)) {
      expect(tensors.get(name)?.shape, name).toEqual(shape);
      expect(tensors.get(name)?.dtype).toBe('F32');
    }
    // 5 embedding tensors, 16 per layer, pooler and classifier (2 each).
    expect(tensors.size).toBe(5 + 16 * dims.numLayers + 4);
  });

  it('carries the XLMRobertaForSequenceClassification names (roberta., classifier.dense/out_proj, no pooler)', async () => {
    const dims = PRESETS['tiny-xlmr'];
    const dir = await synthesizedModelDir('tiny-xlmr');
    const { tensors } = decodeSafetensors(await readFile(join(dir, 'model.safetensors')));
    expect(tensors.get('roberta.embeddings.word_embeddings.weight')?.shape).toEqual([
      dims.vocabSize,
      dims.hiddenSize,
    ]);
    expect(tensors.get('roberta.embeddings.position_embeddings.weight')?.shape).toEqual([
      514,
      dims.hiddenSize,
    ]);
    expect(tensors.get('roberta.embeddings.token_type_embeddings.weight')?.shape).toEqual([
      1,
      dims.hiddenSize,
    ]);
    expect(tensors.get('classifier.dense.weight')?.shape).toEqual([dims.hiddenSize, dims.hiddenSize]);
    expect(tensors.get('classifier.out_proj.weight')?.shape).toEqual([1, dims.hiddenSize]);
    expect([...tensors.keys()].some((name) => name.includes('pooler'))).toBe(false);
    expect(
      [...tensors.keys()].every((name) => name.startsWith('roberta.') || name.startsWith('classifier.')),
    ).toBe(true);
  });
});
