import type { GraphBuilder } from '../graph-builder';
import { bertEncoder, encoderDims, firstTokenHead, sequenceInputs } from './bert-encoder';
import type { Architecture } from './types';

/**
 * BertForSequenceClassification (cross-encoder/ms-marco-MiniLM-L-6-v2 and kin): token types as a
 * third input, positions 0..S-1, the pooler (dense + tanh on [CLS]) then a linear classifier.
 */
export const bert: Architecture = {
  modelTypes: ['bert'],
  build(g, params, config) {
    const dims = encoderDims(config);
    const { inputIds, attentionMask, tokenTypeIds } = sequenceInputs(g, true);
    const x = bertEncoder(g, params, dims, {
      prefix: 'bert',
      inputIds,
      attentionMask,
      tokenTypeIds,
      positionIds: (inputShape) => positionRange(g, inputShape),
    });
    firstTokenHead(g, params, x, dims, { dense: 'bert.pooler.dense', proj: 'classifier' });
  },
};

/** Positions 0..S-1, shared by every row ([S], broadcast over the batch). */
function positionRange(g: GraphBuilder, inputShape: string): string {
  const seqLen = g.op('Gather', [inputShape, g.constInt64([1], [])], [{ name: 'axis', int: 0 }]);
  return g.op('Range', [g.constInt64([0], []), seqLen, g.constInt64([1], [])], [], 'position_ids');
}
