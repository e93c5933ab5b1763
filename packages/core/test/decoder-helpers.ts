import { basename, dirname } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { type Qwen3PresetName, synthesizedQwen3Dir } from '@reranker/testkit';
import type { ModelFiles } from '../src/index';
import { synthesizedFiles } from './helpers';

/** A synthesized Qwen3 folder as core sees it. */
export async function localQwen3(preset: Qwen3PresetName): Promise<ModelFiles> {
  return synthesizedFiles(preset, await synthesizedQwen3Dir(preset));
}

export async function readJson(model: ModelFiles, file: string): Promise<Record<string, unknown>> {
  return JSON.parse(new TextDecoder().decode(await model.read(file)));
}

/** transformers.js's tokenizer of the folder (offline): the independent encoding the oracle uses. */
export async function transformersEncode(model: ModelFiles): Promise<(text: string) => number[]> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(model.localDir!)}/`;
  const tokenizer = await AutoTokenizer.from_pretrained(basename(model.localDir!));
  return (text) => tokenizer.encode(text, { add_special_tokens: false });
}
