import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { expect, it } from 'vitest';
import { loadReferenceModel, maxAbsDiff, PRESETS, referenceLogits, synthesizedModelDir } from '../src/index';
import { SeededRandom } from '../src/rng';
import { makePair, randomIds, runBatch } from './onnx-helpers';

// The bucket tables are computed in the graph from the sequence length: a pair at the model's full
// length (every bucket in use, the far ones clamped) matches the reference beside a 5-token pair.
it('tiny-deberta: a full-length pair and a short one in one batch match the reference', async () => {
  const dir = await synthesizedModelDir('tiny-deberta');
  const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'));
  const reference = await loadReferenceModel(dir);
  const rng = new SeededRandom(17);
  const max = PRESETS['tiny-deberta'].maxPositionEmbeddings;
  const pairs = [
    makePair('tiny-deberta', randomIds(rng, 20), randomIds(rng, max - 23)),
    makePair('tiny-deberta', [300], [301, 302]),
  ];
  expect(pairs[0]!.ids).toHaveLength(max);
  const got = await runBatch(session, 'tiny-deberta', pairs);
  pairs.forEach((pair, r) => {
    expect(maxAbsDiff(got[r]!, referenceLogits(reference, { inputIds: pair.ids })), `row ${r}`).toBeLessThan(
      1e-5,
    );
  });
  await session.release();
});
