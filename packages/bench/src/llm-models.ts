// The two folders `llm` measures: the preset as published (safetensors; the engine builds its prefix
// graph at load) and a causal-LM export of the same weights (the naive full-sequence forward).
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Dtype } from '@reranker/core';
import { openLocalModel } from '@reranker/node';
import {
  BUILDER_VERSION,
  buildFromFolder,
  buildOnnxModel,
  type HfConfig,
  openCheckpoint,
  preferredInt8Weights,
} from '@reranker/onnx-builder';

/** The dtypes both variants can run: the naive export is written as fp32 or dynamic int8. */
export const LLM_DTYPES = ['fp32', 'q8'] as const satisfies readonly Dtype[];
export type LlmDtype = (typeof LLM_DTYPES)[number];

const TEXT_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];
const DONE = 'bench-llm.json';

/**
 * The engine's graph of `dir` for `dtype`, built now (once, into `cacheDir`) so the timed process only
 * loads it; the same call createReranker makes at load.
 */
export async function prebuildEngineGraph(dir: string, dtype: LlmDtype, cacheDir: string): Promise<void> {
  await openLocalModel(dir, dtype, basename(dir), { cacheDir });
}

/**
 * A folder holding the tokenizer files of `dir` and an onnx-community causal-LM export of its weights
 * (`input_ids`, `attention_mask`, `position_ids`, `past_key_values.*` in; full-vocabulary `logits` at
 * every position out), written by @reranker/onnx-builder with the operators and int8 quantization the
 * engine's own graph gets: the two variants differ only in what the graph computes. No safetensors:
 * the engine can only run this graph (as `DecoderRunner`'s `causal-lm` layout), never build its prefix
 * graph from it. Built once under `root`, keyed by the source folder (whose name carries the testkit's
 * code hash), the builder version and the int8 kernel choice.
 */
export async function naiveModelDir(dir: string, dtype: LlmDtype, root: string): Promise<string> {
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        dir,
        builder: BUILDER_VERSION,
        dtype,
        ...(dtype === 'q8' && { int8: preferredInt8Weights() }),
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const prefix = `naive-${dtype}-${basename(dir).split('.')[0]}-`;
  const target = join(root, `${prefix}${key}`);
  if (await stat(join(target, DONE)).catch(() => undefined)) return target;
  await mkdir(root, { recursive: true });
  const staging = await mkdtemp(join(root, '.staging-'));
  try {
    for (const file of TEXT_FILES) await copyFile(join(dir, file), join(staging, file));
    await mkdir(join(staging, 'onnx'));
    const decoder = { layout: 'causal-lm' } as const;
    const started = performance.now();
    if (dtype === 'fp32') {
      await buildFromFolder(dir, join(staging, 'onnx', 'model.onnx'), { decoder, operators: 'fused' });
    } else {
      const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as HfConfig;
      const weights = await openCheckpoint(dir);
      try {
        const bytes = await buildOnnxModel(config, weights, {
          decoder,
          quantizeInt8: true,
          operators: 'fused',
        });
        await writeFile(join(staging, 'onnx', 'model_quantized.onnx'), bytes);
      } finally {
        await weights.close();
      }
    }
    const seconds = (performance.now() - started) / 1000;
    await writeFile(join(staging, DONE), `${JSON.stringify({ source: dir, dtype, seconds }, null, 2)}\n`);
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  // Exports of older source folders or builders: gigabytes each, never read again.
  for (const name of await readdir(root))
    if (name.startsWith(prefix) && name !== basename(target))
      await rm(join(root, name), { recursive: true, force: true });
  return target;
}
