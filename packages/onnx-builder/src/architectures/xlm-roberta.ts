import { tokenId } from '../config';
import type { GraphBuilder } from '../graph-builder';
import { INT64 } from '../proto';
import { bertEncoder, encoderDims, firstTokenHead, sequenceInputs } from './bert-encoder';
import type { Architecture } from './types';

/**
 * XLMRobertaForSequenceClassification (BAAI/bge-reranker-base, -large, -v2-m3): no token_type_ids
 * input, as the published exports (every token is type 0), positions counted from padding_idx + 1,
 * and a head of dense + tanh + out_proj on <s> (no pooler).
 */
export const xlmRoberta: Architecture = {
  modelTypes: ['xlm-roberta'],
  build(g, params, config) {
    const dims = encoderDims(config);
    const padTokenId = tokenId(config, 'pad_token_id', 1);
    const { inputIds, attentionMask } = sequenceInputs(g, false);
    const x = bertEncoder(g, params, dims, {
      prefix: 'roberta',
      inputIds,
      attentionMask,
      positionIds: () => paddingAwarePositions(g, inputIds, padTokenId),
    });
    firstTokenHead(g, params, x, dims, { dense: 'classifier.dense', proj: 'classifier.out_proj' });
  },
};

/**
 * RoBERTa's create_position_ids_from_input_ids: cumsum(mask) * mask + pad, mask = input_ids != pad.
 * Real tokens count from pad + 1 and pad tokens sit at pad, so padding never shifts real positions.
 */
function paddingAwarePositions(g: GraphBuilder, inputIds: string, padTokenId: number): string {
  const pad = g.constInt64([padTokenId], []);
  const notPad = g.op('Not', [g.op('Equal', [inputIds, pad])]);
  const mask = g.op('Cast', [notPad], [{ name: 'to', int: INT64 }]);
  const counts = g.op('CumSum', [mask, g.constInt64([1], [])]);
  return g.op('Add', [g.op('Mul', [counts, mask]), pad], [], 'position_ids');
}
