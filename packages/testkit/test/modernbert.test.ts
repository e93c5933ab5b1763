import { basename, dirname, join } from 'node:path';
import { AutoModelForSequenceClassification, AutoTokenizer, env } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadReferenceModel,
  maxAbsDiff,
  PRESETS,
  type ReferenceModel,
  referenceLogits,
  synthesizedModelDir,
} from '../src/index';
import { applyRotary, attendable, isGlobalLayer } from '../src/reference-modernbert';
import { SeededRandom } from '../src/rng';
import { byteAlphabet, byteLevelBpe } from '../src/tokenizer-modernbert';
import { makePair, randomIds, runBatch } from './onnx-helpers';

env.allowRemoteModels = false;
env.allowLocalModels = true;

const dot = (a: Float64Array, b: Float64Array) => a.reduce((sum, v, i) => sum + v * b[i]!, 0);

describe('ModernBERT reference pieces', () => {
  const rng = new SeededRandom(7);
  const vector = () => Float64Array.from({ length: 16 }, () => rng.normal());

  it('rotary embedding keeps norms, is the identity at position 0, and makes q·k depend on m - n only', () => {
    const q = vector();
    const k = vector();
    expect(Array.from(applyRotary(q, 0, 10000))).toEqual(Array.from(q));
    for (const position of [1, 5, 300, 8000]) {
      expect(Math.sqrt(dot(applyRotary(q, position, 160000), applyRotary(q, position, 160000)))).toBeCloseTo(
        Math.sqrt(dot(q, q)),
        12,
      );
    }
    const at = (m: number, n: number, theta: number) =>
      dot(applyRotary(q, m, theta), applyRotary(k, n, theta));
    expect(at(10, 7, 10000)).toBeCloseTo(at(103, 100, 10000), 10);
    // Able to fail: other distances and other thetas give other products.
    expect(Math.abs(at(10, 7, 10000) - at(10, 2, 10000))).toBeGreaterThan(1e-3);
    expect(Math.abs(at(10, 7, 10000) - at(10, 7, 160000))).toBeGreaterThan(1e-3);
  });

  it('rotates the halves as HF rotate_half: first component pairs with the one dh/2 later', () => {
    const x = new Float64Array(4);
    x[0] = 1; // (x0, x2) is one rotation plane
    const out = applyRotary(x, 1, 1); // angle 1 for k = 0
    expect(out[0]).toBeCloseTo(Math.cos(1), 14);
    expect(out[2]).toBeCloseTo(Math.sin(1), 14);
    expect(out[1]).toBe(0);
    expect(out[3]).toBe(0);
  });

  it('local layers see a symmetric window of local_attention // 2 each side; every n-th layer is global', () => {
    expect(attendable(10, 5, 2)).toEqual([false, false, false, true, true, true, true, true, false, false]);
    expect(attendable(4, 0, 2)).toEqual([true, true, true, false]);
    expect(attendable(3, 1, undefined)).toEqual([true, true, true]);
    const layers = Array.from({ length: 7 }, (_, i) => isGlobalLayer({ global_attn_every_n_layers: 3 }, i));
    expect(layers).toEqual([true, false, false, true, false, false, true]);
  });

  it('byte-level BPE: 256 distinct byte characters, space as Ġ, specials 88 rows from the end', () => {
    const alphabet = byteAlphabet();
    expect(new Set(alphabet).size).toBe(256);
    expect(alphabet[32]).toBe('Ġ');
    expect(alphabet[65]).toBe('A');
    const { vocab } = byteLevelBpe(50368, 10000);
    expect(vocab).toHaveLength(50368);
    expect(vocab.slice(50280, 50285)).toEqual(['[UNK]', '[CLS]', '[SEP]', '[PAD]', '[MASK]']);
  });
});

describe.each(['tiny-modernbert', 'tiny-modernbert-cls'] as const)('%s', (preset) => {
  let dir: string;
  let reference: ReferenceModel;
  let session: ort.InferenceSession;
  beforeAll(async () => {
    dir = await synthesizedModelDir(preset);
    reference = await loadReferenceModel(dir);
    session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'));
  });

  it('onnx/model.onnx takes input_ids and attention_mask only and matches the reference on a mixed batch', async () => {
    expect([...session.inputNames]).toEqual(['input_ids', 'attention_mask']);
    const rng = new SeededRandom(3);
    // Longer than the window (8 or 6 tokens) and short ones, padded together.
    const pairs = [
      makePair(preset, randomIds(rng, 3), randomIds(rng, 40)),
      makePair(preset, randomIds(rng, 2), randomIds(rng, 2)),
      makePair(preset, randomIds(rng, 10), randomIds(rng, 17)),
    ];
    const got = await runBatch(session, preset, pairs);
    const alone = await runBatch(session, preset, [pairs[1]!]);
    pairs.forEach((pair, r) => {
      expect(
        maxAbsDiff(got[r]!, referenceLogits(reference, { inputIds: pair.ids })),
        `row ${r}`,
      ).toBeLessThan(1e-5);
    });
    expect(maxAbsDiff(got[1]!, alone[0]!)).toBeLessThan(1e-6);
    expect(Math.abs(got[0]![0]! - got[2]![0]!)).toBeGreaterThan(1e-3);
  });

  it('the sliding window matters exactly for sequences longer than it', () => {
    const config = reference.config as { local_attention: number };
    const unwindowed = {
      ...reference,
      config: { ...reference.config, local_attention: 100000 },
    } as ReferenceModel;
    const rng = new SeededRandom(11);
    const long = makePair(preset, randomIds(rng, 4), randomIds(rng, 30)).ids;
    const short = long.slice(0, Math.floor(config.local_attention / 2) + 1); // every distance inside the window
    expect(
      maxAbsDiff(
        referenceLogits(reference, { inputIds: long }),
        referenceLogits(unwindowed, { inputIds: long }),
      ),
    ).toBeGreaterThan(1e-4);
    expect(
      maxAbsDiff(
        referenceLogits(reference, { inputIds: short }),
        referenceLogits(unwindowed, { inputIds: short }),
      ),
    ).toBe(0);
  });

  it('transformers.js tokenizes pairs as [CLS] A [SEP] B [SEP] and its model gives the reference logits', async () => {
    env.localModelPath = `${dirname(dir)}/`;
    const tokenizer = await AutoTokenizer.from_pretrained(basename(dir));
    const encoded = tokenizer('What is the capital of France?', { text_pair: 'Paris is running.' });
    const ids = Array.from(encoded.input_ids.data as BigInt64Array, Number);
    expect(ids).toEqual(GOLDEN);
    expect(encoded.token_type_ids).toBeUndefined();
    const model = await AutoModelForSequenceClassification.from_pretrained(basename(dir), { dtype: 'fp32' });
    const { logits } = await model(encoded);
    const want = referenceLogits(reference, { inputIds: ids });
    expect(maxAbsDiff(Array.from(logits.data as Float32Array), want)).toBeLessThan(1e-5);
    expect(want).toHaveLength(PRESETS[preset].numLabels);
    await model.dispose();
  });
});

// [CLS] What ▁is ▁the ▁c a p it al ▁of ▁Fr an c e ? [SEP] P ar is ▁is ▁r u n n in g . [SEP]
// (▁ = Ġ, a leading space. "capital", "France", "Paris" and "running" are not among the 300 words of
// the tiny vocabulary, so they fall back to shorter pieces; [CLS] 4009 and [SEP] 4010 = 4096 - 87, - 86.)
const GOLDEN = [
  4009, 651, 302, 258, 470, 97, 112, 349, 404, 267, 384, 275, 99, 101, 63, 4010, 80, 372, 303, 302, 1010, 117,
  110, 110, 288, 103, 46, 4010,
];
