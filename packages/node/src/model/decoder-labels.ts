import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RerankerError } from '@reranker/core';
import { DECODER_CLASSES, type DecoderGraphOptions, type HfConfig } from '@reranker/onnx-builder';

/** The label words of a yes/no LLM reranker; Qwen3-Reranker's by default. */
export interface LabelTokens {
  yes: string;
  no: string;
}

const DEFAULT_LABELS: LabelTokens = { yes: 'yes', no: 'no' };

/**
 * The decoder graph options of a model folder: for a causal-LM reranker (`Qwen3ForCausalLM`,
 * `Qwen2ForCausalLM`), the vocabulary ids of its label words, looked up in `tokenizer.json` (they must
 * be single tokens, as the model card reads one logit each). Undefined for anything else.
 */
export async function decoderGraphOptions(
  dir: string,
  labels: LabelTokens = DEFAULT_LABELS,
): Promise<DecoderGraphOptions | undefined> {
  let config: HfConfig;
  try {
    config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as HfConfig;
  } catch {
    return undefined; // the build itself names an unreadable config.json
  }
  const names = Array.isArray(config.architectures) ? (config.architectures as unknown[]) : [];
  const causal = DECODER_CLASSES.some((c) => c.endsWith('ForCausalLM') && names.includes(c));
  if (!causal) return undefined;
  let vocab: Record<string, unknown> | undefined;
  try {
    const tokenizer = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8'));
    vocab = tokenizer?.model?.vocab;
  } catch (error) {
    throw new RerankerError('MODEL_LOAD_FAILED', `Cannot read tokenizer.json in ${dir} as JSON.`, {
      cause: error,
      details: { dir },
    });
  }
  const id = (word: string) => {
    const value = vocab?.[word];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
      throw new RerankerError(
        'MODEL_LOAD_FAILED',
        `The LLM reranker in ${dir} has no single vocabulary token "${word}" in tokenizer.json, which its yes/no score reads.`,
        { details: { dir, token: word } },
      );
    return value;
  };
  return { layout: 'prefix', labelTokenIds: { yes: id(labels.yes), no: id(labels.no) } };
}
