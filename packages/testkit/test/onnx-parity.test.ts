import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadReferenceModel,
  maxAbsDiff,
  PRESETS,
  type PresetName,
  type ReferenceModel,
  referenceLogits,
  synthesizedModelDir,
} from '../src/index';
import { SeededRandom } from '../src/rng';

interface Pair {
  ids: number[];
  types: number[];
}

/** A pair in the model's own template with random body tokens: BERT `[CLS] q [SEP] d [SEP]`, XLM-R `<s> q </s></s> d </s>`. */
function randomPair(preset: PresetName, rng: SeededRandom, queryLength: number, docLength: number): Pair {
  const body = (n: number) => Array.from({ length: n }, () => 110 + Math.floor(rng.uniform() * 1800));
  const q = body(queryLength);
  const d = body(docLength);
  if (PRESETS[preset].architecture === 'bert') {
    const ids = [101, ...q, 102, ...d, 102];
    return { ids, types: ids.map((_, i) => (i < q.length + 2 ? 0 : 1)) };
  }
  const ids = [0, ...q, 2, 2, ...d, 2];
  return { ids, types: ids.map(() => 0) };
}

async function run(session: ort.InferenceSession, preset: PresetName, pairs: Pair[]): Promise<number[][]> {
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
  expect(logits!.dims).toEqual([pairs.length, numLabels]);
  const data = Array.from(logits!.data as Float32Array);
  return pairs.map((_, r) => data.slice(r * numLabels, (r + 1) * numLabels));
}

describe.each(['tiny', 'tiny-2label', 'tiny-xlmr'] as const)(
  '%s: onnx/model.onnx matches the reference forward pass',
  (preset) => {
    let session: ort.InferenceSession;
    let reference: ReferenceModel;
    beforeAll(async () => {
      const dir = await synthesizedModelDir(preset);
      session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'));
      reference = await loadReferenceModel(dir);
    });

    it('declares the inputs and output of a Hugging Face export', () => {
      const expected =
        PRESETS[preset].architecture === 'bert'
          ? ['input_ids', 'attention_mask', 'token_type_ids']
          : ['input_ids', 'attention_mask'];
      expect([...session.inputNames].sort()).toEqual(expected.sort());
      expect(session.outputNames).toEqual(['logits']);
    });

    it('gives the reference logits within 1e-4 on a padded batch of mixed lengths', async () => {
      const rng = new SeededRandom(99);
      const pairs = [
        randomPair(preset, rng, 3, 4),
        randomPair(preset, rng, 8, 60),
        randomPair(preset, rng, 1, 1),
        randomPair(preset, rng, 12, 25),
      ];
      const got = await run(session, preset, pairs);
      pairs.forEach((pair, r) => {
        const want = referenceLogits(reference, { inputIds: pair.ids, tokenTypeIds: pair.types });
        expect(maxAbsDiff(got[r]!, want), `row ${r}`).toBeLessThan(1e-4);
      });
      // The check must be able to fail: rows differ from one another by far more than the tolerance.
      expect(Math.abs(got[0]![0]! - got[1]![0]!)).toBeGreaterThan(1e-3);
    });

    it("a padded row's logits equal the same row run alone", async () => {
      const rng = new SeededRandom(5);
      const short = randomPair(preset, rng, 4, 6);
      const long = randomPair(preset, rng, 10, 90);
      const [alone] = await run(session, preset, [short]);
      const [padded] = await run(session, preset, [short, long]);
      expect(maxAbsDiff(padded!, alone!)).toBeLessThan(1e-5);
    });
  },
);
