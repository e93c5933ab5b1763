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
import { makePair, type Pair, randomIds, runBatch } from './onnx-helpers';

/** A pair with random body tokens of the given lengths, in the model's own template. */
function randomPair(preset: PresetName, rng: SeededRandom, queryLength: number, docLength: number): Pair {
  return makePair(preset, randomIds(rng, queryLength), randomIds(rng, docLength));
}

describe.each(['tiny', 'tiny-2label', 'tiny-xlmr', 'tiny-deberta'] as const)(
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
      const got = await runBatch(session, preset, pairs);
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
      const [alone] = await runBatch(session, preset, [short]);
      const [padded] = await runBatch(session, preset, [short, long]);
      expect(maxAbsDiff(padded!, alone!)).toBeLessThan(1e-5);
    });
  },
);
