import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRerankerError, silentLogger } from '@reranker/core';
import {
  loadQwen3Reference,
  type Qwen3ReferenceModel,
  qwen3LastLogits,
  qwen3SeqClsLogit,
  synthesizedQwen3Dir,
} from '@reranker/testkit';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ensureBuiltGraph } from '../src/model/build-graph';
import { createProgressReporter } from '../src/model/progress';
import { rejection } from './helpers/assertions';
import { useWorkspace } from './helpers/workspace';

/**
 * Qwen3 LLM rerankers from safetensors: the prefix-reuse graph is built into the model cache with the
 * label token ids read from tokenizer.json (scores against the testkit's float64 reference).
 */

const { dir: workDir } = useWorkspace('build-qwen3');

const build = (dir: string, dtype: 'fp32' | 'q8' = 'fp32', cacheDir = join(workDir(), 'cache')) =>
  ensureBuiltGraph({
    dir,
    checkpoint: { format: 'safetensors', files: ['model.safetensors'] },
    dtype,
    cacheDir,
    label: dir,
    logger: silentLogger,
    progress: createProgressReporter('none', silentLogger),
  });

async function vocabOf(dir: string): Promise<Record<string, number>> {
  return JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')).model.vocab;
}

/** A token sequence with both label tokens in it (the graph only sees ids). */
const sentence = (vocab: Record<string, number>) => [300, vocab.yes!, 1200, 47, 2900, vocab.no!, 811, 5];

/** One prompt through the graph with an empty past: [logit(no), logit(yes)] or [score]. */
async function scoreOne(path: string, ids: number[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(path);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
    attention_mask: new ort.Tensor(
      'int64',
      BigInt64Array.from(ids, () => 1n),
      [1, ids.length],
    ),
  };
  for (const name of session.inputNames.filter((n) => n.startsWith('past_key_values.')))
    feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 16]);
  const { logits } = await session.run(feeds);
  await session.release();
  return Array.from(logits!.data as Float32Array);
}

describe('tiny-qwen3 from safetensors', () => {
  let reference: Qwen3ReferenceModel;
  const maxDiff = (a: number[], b: ArrayLike<number>) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

  it('builds the yes/no prefix graph with the ids of "yes" and "no" from tokenizer.json: [logit(no), logit(yes)] as the reference', async () => {
    const dir = await synthesizedQwen3Dir('tiny-qwen3');
    reference = await loadQwen3Reference(dir);
    const vocab = await vocabOf(dir);
    const ids = sentence(vocab);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    const { files } = await build(dir);
    const got = await scoreOne(files['onnx/model.onnx']!, ids);
    expect(maxDiff(got, qwen3LastLogits(reference, ids, [vocab.no!, vocab.yes!]))).toBeLessThan(1e-5);
  });

  it('builds the q8 variant of the same graph', async () => {
    const dir = await synthesizedQwen3Dir('tiny-qwen3');
    const vocab = await vocabOf(dir);
    const { files } = await build(dir, 'q8');
    const ids = sentence(vocab);
    const got = await scoreOne(files['onnx/model_quantized.onnx']!, ids);
    const want = qwen3LastLogits(reference, ids, [vocab.no!, vocab.yes!]);
    expect(maxDiff(got, want)).toBeLessThan(0.25);
    expect(maxDiff(got, want)).toBeGreaterThan(1e-5);
  });

  it('builds the seq-cls twin without label ids (its score head)', async () => {
    const dir = await synthesizedQwen3Dir('tiny-qwen3-seq-cls');
    const ids = sentence(await vocabOf(dir));
    const { files } = await build(dir);
    const got = await scoreOne(files['onnx/model.onnx']!, ids);
    expect(got).toHaveLength(1);
    expect(Math.abs(got[0]! - qwen3SeqClsLogit(await loadQwen3Reference(dir), ids))).toBeLessThan(1e-5);
  });

  it('says which label token tokenizer.json lacks', async () => {
    const dir = join(workDir(), 'no-yes');
    await cp(await synthesizedQwen3Dir('tiny-qwen3'), dir, { recursive: true });
    const tokenizerJson = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8'));
    delete tokenizerJson.model.vocab.yes;
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
    const error = await rejection(build(dir, 'fp32', join(workDir(), 'cache-no-yes')));
    expect(isRerankerError(error) && error.code).toBe('MODEL_LOAD_FAILED');
    expect((error as Error).message).toMatch(/no single vocabulary token "yes" in tokenizer\.json/);
  });
});
