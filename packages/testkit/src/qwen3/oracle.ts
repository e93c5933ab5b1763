import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { loadQwen3Reference, type Qwen3ReferenceModel, referenceYesNoScore } from './reference';
import { QWEN3_RERANKER_TEMPLATE, type YesNoRerankerTemplate } from './template';

/** Expected scores of a synthesized Qwen2/Qwen3 reranker folder, independent of the engine. */
export interface Qwen3Oracle {
  model: Qwen3ReferenceModel;
  labelIds: { yes: number; no: number };
  /** transformers.js's tokenizer of the folder, without special tokens. */
  encode(text: string): number[];
  /** The log-odds logit(yes) − logit(no) (or the seq-cls logit) of the model card's prompt. */
  score(query: string, document: string, instruction?: string): number;
}

/**
 * The float64 reference on the prompt `encodeRerankPrompt` builds from transformers.js's tokenizer
 * (offline): neither the prompt nor the forward pass shares code with the engine under test.
 */
export async function qwen3Oracle(
  dir: string,
  template: YesNoRerankerTemplate = QWEN3_RERANKER_TEMPLATE,
): Promise<Qwen3Oracle> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(dir)}/`;
  const tokenizer = await AutoTokenizer.from_pretrained(basename(dir));
  const encode = (text: string) => tokenizer.encode(text, { add_special_tokens: false });
  const vocab = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')).model.vocab as Record<
    string,
    number
  >;
  const labelIds = { yes: vocab[template.labels.yes]!, no: vocab[template.labels.no]! };
  const model = await loadQwen3Reference(dir);
  return {
    model,
    labelIds,
    encode,
    score: (query, document, instruction) =>
      referenceYesNoScore(
        model,
        template,
        labelIds,
        { query, document, ...(instruction !== undefined && { instruction }) },
        encode,
      ).score,
  };
}
