import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { kendallTau, PRESETS, type PresetName, type ReferenceModel, referenceLogits } from '../src/index';
import { SeededRandom } from '../src/rng';

/** Shared by the ONNX tests: seeded pairs, a padded-batch runner and ranking agreement. */

// onnx-proto is CommonJS: a default import, then its namespace.
export const { onnx } = onnxProto;

export interface Pair {
  ids: number[];
  types: number[];
}

/**
 * A pair in the model's own template with random body tokens: BERT `[CLS] q [SEP] d [SEP]`, DeBERTa-v3
 * the same with its ids (1, 2), ModernBERT the same with ids at the end of its vocabulary, XLM-R
 * `<s> q </s></s> d </s>`.
 */
export function makePair(preset: PresetName, q: number[], d: number[]): Pair {
  const { architecture, vocabSize } = PRESETS[preset];
  if (architecture === 'modernbert') {
    // [CLS] q [SEP] d [SEP]; [CLS] and [SEP] sit 87 and 86 rows before the end of the vocabulary.
    const ids = [vocabSize - 87, ...q, vocabSize - 86, ...d, vocabSize - 86];
    return { ids, types: ids.map(() => 0) };
  }
  if (architecture === 'bert' || architecture === 'deberta-v2') {
    const [cls, sep] = architecture === 'bert' ? [101, 102] : [1, 2];
    const ids = [cls, ...q, sep, ...d, sep];
    return { ids, types: ids.map((_, i) => (i < q.length + 2 ? 0 : 1)) };
  }
  const ids = [0, ...q, 2, 2, ...d, 2];
  return { ids, types: ids.map(() => 0) };
}

/** Random ordinary-token ids (110..1909 exist in every preset's vocabulary). */
export function randomIds(rng: SeededRandom, n: number): number[] {
  return Array.from({ length: n }, () => 110 + Math.floor(rng.uniform() * 1800));
}

/** The fixed query set: 5 queries of 3-10 tokens, each with 20 documents of 5-80 tokens. */
export function querySet(preset: PresetName, seed = 2024): Pair[][] {
  const rng = new SeededRandom(seed);
  const length = (min: number, max: number) => min + Math.floor(rng.uniform() * (max - min + 1));
  return Array.from({ length: 5 }, () => {
    const q = randomIds(rng, length(3, 10));
    return Array.from({ length: 20 }, () => makePair(preset, q, randomIds(rng, length(5, 80))));
  });
}

/** Runs `pairs` as one right-padded batch; returns each row's logits. */
export async function runBatch(session: ort.InferenceSession, preset: PresetName, pairs: Pair[]) {
  const { padTokenId, numLabels } = PRESETS[preset];
  const width = Math.max(...pairs.map((p) => p.ids.length));
  const shape = [pairs.length, width];
  const tensor = (fill: (p: Pair, i: number) => number) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(pairs.flatMap((p) => Array.from({ length: width }, (_, i) => BigInt(fill(p, i))))),
      shape,
    );
  const feeds: Record<string, ort.Tensor> = {
    input_ids: tensor((p, i) => p.ids[i] ?? padTokenId),
    attention_mask: tensor((p, i) => (i < p.ids.length ? 1 : 0)),
  };
  if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = tensor((p, i) => p.types[i] ?? 0);
  const { logits } = await session.run(feeds);
  if (!logits || logits.dims.join() !== `${pairs.length},${numLabels}`)
    throw new Error(`unexpected logits shape ${logits?.dims.join('x')}`);
  const data = Array.from(logits.data as Float32Array);
  return pairs.map((_, r) => data.slice(r * numLabels, (r + 1) * numLabels));
}

export function referenceBatch(model: ReferenceModel, pairs: Pair[]): number[][] {
  return pairs.map((p) => referenceLogits(model, { inputIds: p.ids, tokenTypeIds: p.types }));
}

/** The worst Kendall tau over every query and every label column between two runs of the query set. */
export function worstTau(got: number[][][], want: number[][][]): number {
  let worst = 1;
  got.forEach((rows, q) => {
    const labels = rows[0]!.length;
    for (let l = 0; l < labels; l++) {
      const tau = kendallTau(
        rows.map((r) => r[l]!),
        want[q]!.map((r) => r[l]!),
      );
      worst = Math.min(worst, tau);
    }
  });
  return worst;
}
