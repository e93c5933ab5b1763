import { RerankerError } from '../errors';
import { labelCount, type ModelConfig } from '../model';
import { scoreFromLogits } from '../scores';
import { PairEncoder } from '../tokenize/pair-encoder';
import { validateInstruction } from './instruction';
import type { ModelKind } from './kind';

/** A sequence-classification cross-encoder: the pair layout of its tokenizer's post-processor. */
export function crossEncoderKind(config: ModelConfig, source: string): ModelKind {
  const numLabels = labelCount(config);
  if (numLabels !== 1 && numLabels !== 2) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `${source} has ${numLabels} labels; a cross-encoder reranker has 1 (relevance logit) or 2 (not relevant, relevant).`,
    );
  }
  const graph = { inputs: 'pair' } as const;
  return {
    name: 'cross-encoder',
    numLabels,
    graph,
    template: undefined,
    defaultInstruction: undefined,
    defaultMaxLength: undefined,
    modelMaxLength({ config, tokenizerConfig }) {
      // XLM-R numbers positions from padding_idx + 1, so two rows of its table are never used for tokens.
      const positions = config.max_position_embeddings ?? 512;
      const usable =
        config.model_type === 'xlm-roberta' || config.model_type === 'roberta' ? positions - 2 : positions;
      const declared = tokenizerConfig.model_max_length;
      return Math.min(usable, typeof declared === 'number' ? declared : usable);
    },
    encoder({ config, tokenizerJson, tokenizerConfig }, options) {
      return PairEncoder.fromJson(tokenizerJson, tokenizerConfig, {
        maxLength: options.maxLength,
        maxQueryTokens: options.maxQueryTokens,
        truncation: options.truncation,
        typeVocabSize: typeof config.type_vocab_size === 'number' ? config.type_vocab_size : 2,
      });
    },
    instruction: (requested) => validateInstruction(requested, { kind: 'cross-encoder', name: source }),
    keyParts: () => [],
    score: scoreFromLogits,
    backendInfo: (encoder) => ({ name: 'cross-encoder', numLabels, graph, padTokenId: encoder.padTokenId }),
  };
}
