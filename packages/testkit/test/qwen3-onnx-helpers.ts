import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import {
  encodeRerankPrompt,
  QWEN3_RERANKER_TEMPLATE,
  type Qwen3ReferenceModel,
  qwen3LastLogits,
  qwen3SeqClsLogit,
} from '../src/index';

/** Feeds and runs for the decoder graphs of @reranker/onnx-builder (Qwen2/Qwen3), for the ONNX tests. */

export interface HubInfo {
  config: Record<string, unknown>;
  encode: (text: string) => number[];
  labelIds: { yes: number; no: number };
}

export async function hubInfo(dir: string): Promise<HubInfo> {
  const json = async (name: string) => JSON.parse(await readFile(join(dir, name), 'utf8'));
  const tokenizerJson = await json('tokenizer.json');
  const tokenizer = new Tokenizer(tokenizerJson, await json('tokenizer_config.json'));
  const vocab = tokenizerJson.model.vocab as Record<string, number>;
  return {
    config: await json('config.json'),
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids,
    labelIds: { yes: vocab.yes!, no: vocab.no! },
  };
}

/** Documents of mixed lengths (2 to ~60 tokens) for one query: one right-padded batch. */
export const QUERY = 'what is the capital of China?';
export const DOCUMENTS = [
  'Beijing.',
  'The capital of China is Beijing, a city in the north of the country with a long history.',
  'Gravity is a force that attracts two bodies towards each other. It gives weight to physical objects and is responsible for the movement of planets around the sun.',
  'Paris is the capital of France.',
  'Ünïcödé, emoji 🙂 and\ttabs\n\nnew lines',
];

/** The card's prompt ids of every document. */
export const promptIds = (info: HubInfo, documents = DOCUMENTS) =>
  documents.map((document) =>
    encodeRerankPrompt(QWEN3_RERANKER_TEMPLATE, { query: QUERY, document }, info.encode),
  );

/** The longest run of ids every prompt starts with: the shared prefix a reranker computes once. */
export function commonPrefix(prompts: number[][]): number {
  let n = 0;
  while (prompts.every((p) => n < p.length - 1 && p[n] === prompts[0]![n])) n++;
  return n;
}

export type Past = Record<string, ort.Tensor>;

/** Past inputs of length 0 (batch `batch`) for `layers` layers. */
export function emptyPast(config: Record<string, unknown>, batch = 1): Past {
  const kvh = config.num_key_value_heads as number;
  const d =
    (config.head_dim as number | undefined) ??
    (config.hidden_size as number) / (config.num_attention_heads as number);
  const past: Past = {};
  for (let i = 0; i < (config.num_hidden_layers as number); i++)
    for (const kv of ['key', 'value'])
      past[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [batch, kvh, 0, d]);
  return past;
}

/** The `present.*` outputs of a run renamed as the `past_key_values.*` inputs of the next. */
export function asPast(outputs: ort.InferenceSession.OnnxValueMapType): Past {
  const past: Past = {};
  for (const [name, value] of Object.entries(outputs))
    if (name.startsWith('present.')) past[name.replace('present.', 'past_key_values.')] = value as ort.Tensor;
  return past;
}

/** Right-padded int64 [rows, width] ids and mask (padding id 0). */
export function padded(rows: number[][], width = Math.max(...rows.map((r) => r.length))) {
  const tensor = (fill: (r: number[], i: number) => number) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(rows.flatMap((r) => Array.from({ length: width }, (_, i) => BigInt(fill(r, i))))),
      [rows.length, width],
    );
  return { input_ids: tensor((r, i) => r[i] ?? 0), attention_mask: tensor((r, i) => (i < r.length ? 1 : 0)) };
}

/** Runs the prefix graph: `rows` (right-padded) after the shared `past`; returns logits per row and the outputs. */
export async function runPrefixGraph(session: ort.InferenceSession, rows: number[][], past: Past) {
  const outputs = await session.run({ ...padded(rows), ...past });
  const logits = outputs.logits!;
  const width = logits.dims[1]!;
  const data = Array.from(logits.data as Float32Array);
  return { logits: rows.map((_, r) => data.slice(r * width, (r + 1) * width)), outputs };
}

/** Reference [logit(no), logit(yes)] of a whole prompt, or [score] for a seq-cls checkpoint. */
export function referenceRow(
  model: Qwen3ReferenceModel,
  ids: number[],
  labelIds: { yes: number; no: number },
) {
  if (model.config.architectures.includes('Qwen3ForSequenceClassification'))
    return [qwen3SeqClsLogit(model, ids)];
  return Array.from(qwen3LastLogits(model, ids, [labelIds.no, labelIds.yes]));
}

export const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
};
