import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { loadQwen3Reference, referenceYesNoScore, type YesNoScore } from './reference';
import { QWEN3_RERANKER_TEMPLATE, type YesNoRerankerTemplate } from './template';

export interface PromptScoresInput {
  query: string;
  documents: readonly string[];
  /** @default the template's default instruction */
  instruction?: string;
  /** @default QWEN3_RERANKER_TEMPLATE */
  template?: YesNoRerankerTemplate;
}

/**
 * Expected scores of (query, document) prompts of a synthesized Qwen3 folder that fit its window: the
 * model card's prompt (`encodeRerankPrompt`) tokenized by transformers.js's `AutoTokenizer` (offline),
 * scored by the float64 reference (`referenceYesNoScore`). Shares no code with the engine under test.
 */
export async function referencePromptScores(dir: string, input: PromptScoresInput): Promise<YesNoScore[]> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(dir)}/`;
  const tokenizer = await AutoTokenizer.from_pretrained(basename(dir));
  const encode = (text: string) => tokenizer.encode(text, { add_special_tokens: false });
  const model = await loadQwen3Reference(dir);
  const template = input.template ?? QWEN3_RERANKER_TEMPLATE;
  const json = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as {
    model: { vocab: Record<string, number> };
  };
  const labelId = (word: string) => {
    const id = json.model.vocab[word];
    if (id === undefined) throw new Error(`${word} is not a token of ${dir}`);
    return id;
  };
  const labelIds = { yes: labelId(template.labels.yes), no: labelId(template.labels.no) };
  return input.documents.map((document) =>
    referenceYesNoScore(
      model,
      template,
      labelIds,
      {
        query: input.query,
        document,
        ...(input.instruction !== undefined && { instruction: input.instruction }),
      },
      encode,
    ),
  );
}
