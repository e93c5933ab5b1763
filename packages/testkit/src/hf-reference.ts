import { basename, dirname } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { loadReferenceModel, referenceLogits } from './reference';

/**
 * Expected scores of (query, document) pairs that are short enough not to be truncated: token ids from
 * Hugging Face's own tokenizer (transformers.js `AutoTokenizer` with `text_pair`, offline), logits from
 * the float64 reference pass. Neither side shares code with the engine under test.
 * A score is the logit (one label) or positive minus negative logit (two labels).
 */
export async function referencePairScores(
  dir: string,
  query: string,
  documents: readonly string[],
): Promise<number[]> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(dir)}/`;
  const tokenizer = await AutoTokenizer.from_pretrained(basename(dir));
  const model = await loadReferenceModel(dir);
  return documents.map((document) => {
    const encoded = tokenizer(query, { text_pair: document });
    const logits = referenceLogits(model, {
      inputIds: Array.from(encoded.input_ids.data as BigInt64Array, Number),
      tokenTypeIds: encoded.token_type_ids
        ? Array.from(encoded.token_type_ids.data as BigInt64Array, Number)
        : undefined,
    });
    return logits.length === 1 ? logits[0]! : logits[1]! - logits[0]!;
  });
}
