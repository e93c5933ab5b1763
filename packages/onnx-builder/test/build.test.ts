import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planOnnxModel } from '../src/build';
import {
  BuildError,
  buildFromFolder,
  buildOnnxModel,
  encodeSafetensors,
  type HfConfig,
  INLINE_LIMIT_BYTES,
  type NamedTensor,
  quantizeDynamicInt8,
  type WeightSource,
  writeOnnxModel,
} from '../src/index';
import { onnx } from '../src/proto';
import { writeExternal } from '../src/serialize';
import { memoryWeights } from '../src/tensor';
import { tinyCheckpoint, tinyConfig } from './helpers';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'onnx-builder-build-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Logits of two rows (one padded) from a session over `model` (bytes or a path). */
async function logits(model: Uint8Array | string, withTypes: boolean): Promise<number[]> {
  const session = await ort.InferenceSession.create(model as string);
  try {
    const ids = BigInt64Array.from([3n, 7n, 9n, 11n, 4n, 5n, 6n, 1n]);
    const mask = BigInt64Array.from([1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n]);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [2, 4]),
      attention_mask: new ort.Tensor('int64', mask, [2, 4]),
    };
    if (withTypes) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(8), [2, 4]);
    expect(session.inputNames).toEqual(Object.keys(feeds));
    const { logits: out } = await session.run(feeds);
    return Array.from(out!.data as Float32Array);
  } finally {
    await session.release();
  }
}

describe.each(['bert', 'xlm-roberta'] as const)('%s', (modelType) => {
  const config = tinyConfig(modelType);
  const tensors = tinyCheckpoint(config);
  const withTypes = modelType === 'bert';

  it('writes the same model inline and with external data (sliced or whole)', async () => {
    const inline = await logits(await buildOnnxModel(config, tensors), withTypes);
    expect(inline).toHaveLength(2);
    expect(inline.every(Number.isFinite)).toBe(true);

    const dir = join(work, `${modelType}-external`);
    await mkdir(dir, { recursive: true });
    const written = await writeOnnxModel(config, tensors, join(dir, 'model.onnx'), { externalData: true });
    expect(written).toMatchObject({ files: ['model.onnx', 'model.onnx_data'], externalData: true });
    expect(await logits(join(dir, 'model.onnx'), withTypes)).toEqual(inline);

    // Slices of 7 values: every embedding table is copied in many pieces at their offsets.
    const sliced = join(work, `${modelType}-sliced`);
    await mkdir(sliced, { recursive: true });
    const plan = planOnnxModel(config, memoryWeights(tensors).tensors);
    await writeExternal(plan, memoryWeights(tensors), join(sliced, 'model.onnx'), undefined, 7);
    expect(await logits(join(sliced, 'model.onnx'), withTypes)).toEqual(inline);
  });

  it('quantizeInt8 writes the bytes of quantizeDynamicInt8(float32 model), quantizing as weights stream', async () => {
    const fp32 = await buildOnnxModel(config, tensors);
    for (const perChannel of [true, false]) {
      const streamed = await buildOnnxModel(config, tensors, { quantizeInt8: { perChannel } });
      expect(Buffer.from(streamed).equals(Buffer.from(quantizeDynamicInt8(fp32, { perChannel })))).toBe(true);
    }
    expect(await buildOnnxModel(config, tensors, { quantizeInt8: true })).toEqual(quantizeDynamicInt8(fp32));
  });

  it('reports progress up to the total weight bytes', async () => {
    const seen: [number, number][] = [];
    await buildOnnxModel(config, tensors, { onProgress: (done, total) => seen.push([done, total]) });
    const total = tensors.reduce((sum, t) => sum + t.data.byteLength, 0);
    expect(seen.at(-1)).toEqual([total, total]);
    expect(seen.map(([done]) => done)).toEqual([...seen.map(([done]) => done)].sort((a, b) => a - b));
  });

  it('takes the label count from the classifier when config.json names none', async () => {
    const twoLabels = tinyConfig(modelType, { id2label: { 0: 'no', 1: 'yes' } });
    const { id2label: _, ...unnamed } = twoLabels;
    const model = onnx.ModelProto.decode(await buildOnnxModel(unnamed, tinyCheckpoint(twoLabels)));
    expect(
      model.graph!.output![0]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue)),
    ).toEqual(['batch_size', 2]);
  });
});

describe('refusing what it cannot build', () => {
  const config = tinyConfig('bert');
  const tensors = tinyCheckpoint(config);
  const reason = async (cfg: HfConfig, ts: NamedTensor[] | WeightSource) => {
    const error = await buildOnnxModel(cfg, ts).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BuildError);
    return { reason: (error as BuildError).reason, message: (error as Error).message };
  };

  it('names the architectures it builds for another model_type', async () => {
    expect(await reason({ ...config, model_type: 'electra' }, tensors)).toEqual({
      reason: 'unsupported',
      message:
        'config.json: model_type "electra"; graphs can be built for bert, xlm-roberta, deberta-v2, modernbert, qwen3, qwen2',
    });
  });

  it.each([
    [{ hidden_act: 'relu' }, /hidden_act "relu" is not supported yet/],
    [{ position_embedding_type: 'relative_key' }, /position_embedding_type "relative_key"/],
    [{ is_decoder: true }, /decoder/],
  ])('refuses the variant %j', async (overrides, message) => {
    const got = await reason({ ...config, ...overrides }, tensors);
    expect(got.reason).toBe('unsupported');
    expect(got.message).toMatch(message);
  });

  it('names a missing tensor, a misshapen one and a left-over one', async () => {
    const missing = await reason(
      config,
      tensors.filter((t) => t.name !== 'bert.encoder.layer.0.attention.self.key.bias'),
    );
    expect(missing).toEqual({
      reason: 'invalid-checkpoint',
      message: 'the checkpoint has no tensor bert.encoder.layer.0.attention.self.key.bias',
    });
    const misshapen = await reason({ ...config, intermediate_size: 12 }, tensors);
    expect(misshapen.message).toBe(
      'tensor bert.encoder.layer.0.intermediate.dense.weight has shape [16, 8], config.json implies [12, 8]',
    );
    const extra = await reason(config, [
      ...tensors,
      { name: 'cls.predictions.bias', shape: [1], data: new Float32Array(1) },
    ]);
    expect(extra).toEqual({
      reason: 'unsupported',
      message: 'the checkpoint has tensors a bert sequence classifier does not use: cls.predictions.bias',
    });
  });

  it('ignores the position_ids buffer older checkpoints carry, but no integer weight', async () => {
    const buffer: NamedTensor = {
      name: 'bert.embeddings.position_ids',
      shape: [1, 40],
      data: new Float32Array(40),
    };
    await expect(buildOnnxModel(config, [...tensors, buffer])).resolves.toBeInstanceOf(Uint8Array);
    const source = memoryWeights(tensors);
    const infos = new Map(source.tensors);
    const name = 'bert.pooler.dense.bias';
    infos.set(name, { ...infos.get(name)!, dtype: 'I64' });
    const got = await reason({ ...config }, { ...source, tensors: infos });
    expect(got.message).toBe(`tensor ${name} is I64; weights must be F32, F16 or BF16`);
  });

  it('quantizeInt8 counts a weight at 1 byte per value against the 2 GB limit; never as external data', async () => {
    // A 1.6 GB float32 FFN weight pair over the limit, 0.4 GB as int8: planning passes, reading starts.
    const source = memoryWeights(tensors);
    const infos = new Map(source.tensors);
    const inter = 50_000_000;
    infos.set('bert.encoder.layer.0.intermediate.dense.weight', {
      name: '',
      shape: [inter, 8],
      dtype: 'F32',
    });
    infos.set('bert.encoder.layer.0.intermediate.dense.bias', { name: '', shape: [inter], dtype: 'F32' });
    infos.set('bert.encoder.layer.0.output.dense.weight', { name: '', shape: [8, inter], dtype: 'F32' });
    const reading = new Error('reading weights');
    const huge: WeightSource = {
      ...source,
      tensors: infos,
      read: async () => {
        throw reading;
      },
    };
    const big = { ...config, intermediate_size: inter };
    await expect(buildOnnxModel(big, huge)).rejects.toThrow(/past the ~2 GB/);
    await expect(buildOnnxModel(big, huge, { quantizeInt8: true })).rejects.toBe(reading);
    await expect(
      writeOnnxModel(config, tensors, join(work, 'int8-external.onnx'), {
        quantizeInt8: true,
        externalData: true,
      }),
    ).rejects.toThrow(/int8 weights are written inline only/);
  });

  it('refuses an inline model past 2 GB, before reading any weight', async () => {
    const source = memoryWeights(tensors);
    const infos = new Map(source.tensors);
    const name = 'bert.embeddings.word_embeddings.weight';
    const rows = Math.ceil(INLINE_LIMIT_BYTES / 4 / 8) + 1;
    infos.set(name, { name, shape: [rows, 8], dtype: 'F32' });
    let reads = 0;
    const huge: WeightSource = {
      ...source,
      tensors: infos,
      read: async () => {
        reads++;
        return new Float32Array(0);
      },
    };
    const got = await reason({ ...config, vocab_size: rows }, huge);
    expect(got.message).toMatch(/past the ~2 GB a single ONNX protobuf holds: use writeOnnxModel/);
    expect(reads).toBe(0);
  });
});

describe('README example', () => {
  it('builds onnx/model.onnx from a folder with config.json and model.safetensors', async () => {
    const dir = join(work, 'readme-model');
    await mkdir(dir, { recursive: true });
    const config = tinyConfig('xlm-roberta');
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    await writeFile(
      join(dir, 'model.safetensors'),
      encodeSafetensors(tinyCheckpoint(config), { dtype: 'BF16' }),
    );

    // As in the README:
    await mkdir(join(dir, 'onnx'), { recursive: true });
    const written = await buildFromFolder(dir, join(dir, 'onnx', 'model.onnx'));

    expect(written).toMatchObject({ files: ['model.onnx'], externalData: false });
    expect((await stat(join(dir, 'onnx', 'model.onnx'))).size).toBeGreaterThan(written.weightBytes);
    expect(await logits(join(dir, 'onnx', 'model.onnx'), false)).toHaveLength(2);
    const model = onnx.ModelProto.decode(await readFile(join(dir, 'onnx', 'model.onnx')));
    expect(model.producerName).toBe('@reranker/onnx-builder');
  });
});
