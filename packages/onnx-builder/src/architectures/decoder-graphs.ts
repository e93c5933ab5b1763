import { BuildError } from '../errors';
import type { GraphBuilder } from '../graph-builder';
import type { Params } from '../params';
import { FLOAT, INT64 } from '../proto';
import type { DecoderDims } from './decoder-config';
import { concatAttention, decoderLayers, prefixAttention } from './decoder-layer';
import { causalMask, dimOf, rmsNorm, rotaryTables } from './decoder-ops';

/** `reranker.layout` metadata values of the decoder graphs. */
export const DECODER_LAYOUTS = {
  yesNoPrefix: 'decoder-yes-no-prefix',
  seqClsPrefix: 'decoder-seq-cls-prefix',
  causalLm: 'decoder-causal-lm',
} as const;

const BATCH = 'batch_size';
const SEQ = 'sequence_length';
const PAST = 'past_sequence_length';

type Pasts = { key: string; value: string }[];

/** `past_key_values.{i}.key` / `.value` float32 [batch, kv_heads, past, head_dim] for every layer. */
function pastInputs(g: GraphBuilder, dims: DecoderDims, batch: number | string): Pasts {
  const shape = [batch, dims.numKeyValueHeads, PAST, dims.headDim];
  return Array.from({ length: dims.numLayers }, (_, i) => ({
    key: g.input(`past_key_values.${i}.key`, FLOAT, shape),
    value: g.input(`past_key_values.${i}.value`, FLOAT, shape),
  }));
}

function presentOutputs(g: GraphBuilder, dims: DecoderDims, presents: Pasts, length: string): void {
  const shape = [BATCH, dims.numKeyValueHeads, length, dims.headDim];
  presents.forEach(({ key, value }, i) => {
    g.output(key, `present.${i}.key`, FLOAT, shape);
    g.output(value, `present.${i}.value`, FLOAT, shape);
  });
}

const embed = (g: GraphBuilder, params: Params, dims: DecoderDims, inputIds: string) =>
  g.op('Gather', [params.get('model.embed_tokens.weight', [dims.vocabSize, dims.hiddenSize]), inputIds]);

/** A mask for [B, 1, S, T] scores repeated for every query head of a key/value group: [B, 1, group * S, T]. */
const groupMask = (g: GraphBuilder, dims: DecoderDims, mask: string) =>
  g.op('Tile', [mask, g.constInt64([1, 1, dims.numHeads / dims.numKeyValueHeads, 1])]);

/** The LM head's weight: `lm_head.weight`, or the input embedding when tied and not saved apart. */
function headTensor(params: Params, dims: DecoderDims): string {
  if (params.has('lm_head.weight') || !dims.tieWordEmbeddings) return 'lm_head.weight';
  return 'model.embed_tokens.weight';
}

/**
 * The reranking graph: each row is a document plus the template suffix (right-padded), attending to
 * a shared prefix given as past keys/values of batch 1, positions continuing after it. `logits` is
 * read at each row's last real token, the final norm and head applied there only: the `no` and `yes`
 * rows of the LM head ([B, 2]), or the seq-cls score head ([B, 1]). The presents are the row tokens'
 * own keys and values, so a run over the prefix alone (batch 1, past 0) gives the past of later runs.
 */
export function buildPrefixGraph(
  g: GraphBuilder,
  params: Params,
  dims: DecoderDims,
  labelTokenIds: { yes: number; no: number } | undefined,
): void {
  const inputIds = g.input('input_ids', INT64, [BATCH, SEQ]);
  const attentionMask = g.input('attention_mask', INT64, [BATCH, SEQ]);
  const pasts = pastInputs(g, dims, 1);
  const pastLength = dimOf(g, pasts[0]!.key, 2, 'past_length'); // [1]
  const seqLength = dimOf(g, inputIds, 1, 'seq_length'); // [1]
  const scalar = (v: string) => g.op('Squeeze', [v, g.constInt64([0])]);
  const positions = g.op(
    'Range',
    [scalar(pastLength), scalar(g.op('Add', [pastLength, seqLength])), g.constInt64([1], [])],
    [],
    'position_ids',
  );
  const rotary = rotaryTables(g, positions, 1, dims.headDim, dims.ropeTheta);
  const ownMask = groupMask(g, dims, causalMask(g, attentionMask, g.constInt64([0]), seqLength));
  const run = decoderLayers(
    g,
    params,
    dims,
    embed(g, params, dims, inputIds),
    rotary,
    prefixAttention(g, (i) => pasts[i]!, ownMask, pastLength),
  );

  // Each row's last real token (right padding): index sum(mask) - 1, gathered before the final norm.
  const realCount = g.op('ReduceSum', [attentionMask, g.constInt64([1])], [{ name: 'keepdims', int: 1 }]);
  const lastIndex = g.op('Sub', [realCount, g.constInt64([1], [])]); // [B, 1]
  const last = g.op('GatherND', [run.hidden, lastIndex], [{ name: 'batch_dims', int: 1 }]); // [B, H]
  const normed = rmsNorm(g, last, params.get('model.norm.weight', [dims.hiddenSize]), dims.rmsNormEps);
  const h = dims.hiddenSize;
  const gemm = (w: string) => g.op('Gemm', [normed, w], [{ name: 'transB', int: 1 }], 'logits');
  if (dims.head === 'seq-cls') {
    g.output(gemm(params.get('score.weight', [1, h])), 'logits', FLOAT, [BATCH, 1]);
    g.meta('reranker.layout', DECODER_LAYOUTS.seqClsPrefix);
  } else {
    if (!labelTokenIds)
      throw new BuildError(
        'unsupported',
        'the prefix graph of a causal LM needs the label token ids (decoder.labelTokenIds: the vocabulary ids of "yes" and "no")',
      );
    const { yes, no } = labelTokenIds;
    const rows = params.selectRows(
      headTensor(params, dims),
      [dims.vocabSize, h],
      [no, yes],
      'lm_head.no_yes',
    );
    g.output(gemm(rows), 'logits', FLOAT, [BATCH, 2]);
    g.meta('reranker.layout', DECODER_LAYOUTS.yesNoPrefix);
    g.meta('reranker.label_tokens', JSON.stringify({ no, yes }));
  }
  presentOutputs(g, dims, run.presents, SEQ);
}

/**
 * The onnx-community export layout of `*ForCausalLM`: `input_ids`, `attention_mask` [B, past + S],
 * `position_ids` [B, S] and the past of the whole batch; full-vocabulary `logits` [B, S, vocab] at
 * every position and `present.*` = past concatenated with this call's keys and values.
 */
export function buildCausalLmGraph(g: GraphBuilder, params: Params, dims: DecoderDims): void {
  if (dims.head !== 'causal-lm')
    throw new BuildError('unsupported', 'the causal-lm layout needs a *ForCausalLM checkpoint');
  const inputIds = g.input('input_ids', INT64, [BATCH, SEQ]);
  const attentionMask = g.input('attention_mask', INT64, [BATCH, 'total_sequence_length']);
  const positionIds = g.input('position_ids', INT64, [BATCH, SEQ]);
  const pasts = pastInputs(g, dims, BATCH);
  const pastLength = dimOf(g, pasts[0]!.key, 2, 'past_length');
  const seqLength = dimOf(g, inputIds, 1, 'seq_length');
  const rotary = rotaryTables(g, positionIds, 2, dims.headDim, dims.ropeTheta);
  const mask = groupMask(g, dims, causalMask(g, attentionMask, pastLength, seqLength));
  const run = decoderLayers(
    g,
    params,
    dims,
    embed(g, params, dims, inputIds),
    rotary,
    concatAttention(g, (i) => pasts[i]!, mask),
  );
  const h = dims.hiddenSize;
  const normed = rmsNorm(g, run.hidden, params.get('model.norm.weight', [h]), dims.rmsNormEps);
  // Gemm with transB reads the [vocab, H] table as stored: a tied head shares the embedding's bytes.
  const name = headTensor(params, dims);
  const head = name === 'lm_head.weight' ? params.get(name, [dims.vocabSize, h]) : name;
  const flat = g.op(
    'Gemm',
    [g.op('Reshape', [normed, g.constInt64([-1, h])]), head],
    [{ name: 'transB', int: 1 }],
  );
  const logitsShape = g.op(
    'Concat',
    [g.op('Shape', [inputIds]), g.constInt64([dims.vocabSize])],
    [{ name: 'axis', int: 0 }],
  );
  g.output(g.op('Reshape', [flat, logitsShape]), 'logits', FLOAT, [BATCH, SEQ, dims.vocabSize]);
  presentOutputs(g, dims, run.presents, 'total_sequence_length');
  g.meta('reranker.layout', DECODER_LAYOUTS.causalLm);
}
