import { describe, expect, it } from 'vitest';
import { loadReferenceModel, referenceLogits, synthesizedModelDir } from '../src/index';
import { attentionTypes, logBucketPosition, relativePosition } from '../src/reference-deberta';

// The DeBERTa pieces of the oracle, checked against values computed by hand from the definition
// (make_log_bucket_position), never against the graph builder.
describe('DeBERTa-v2 reference', () => {
  it('log buckets: identity within ±mid, then ceil(log(d/mid) / log((max-1)/mid) * (mid-1)) + mid', () => {
    // 8 buckets (mid 4), max 128: log(127/4) = 3.4578.
    //  5: log(1.25)/3.4578*3 = 0.194 -> 1 + 4;  16: log(4)/3.4578*3 = 1.203 -> 2 + 4
    // 64: log(16)/3.4578*3 = 2.406 -> 3 + 4;  127: exactly 3 -> 7;  200 (past max): 3.394 -> 4 + 4
    const cases: [number, number][] = [
      [0, 0],
      [1, 1],
      [4, 4],
      [5, 5],
      [8, 5],
      [16, 6],
      [64, 7],
      [127, 7],
      [200, 8],
    ];
    for (const [d, bucket] of cases) {
      expect(logBucketPosition(d, 8, 128), `d=${d}`).toBe(bucket);
      if (d > 0) expect(logBucketPosition(-d, 8, 128), `d=-${d}`).toBe(-bucket);
    }
    // mxbai-rerank-base-v1: 256 buckets (mid 128), max 512: log(511/128) = 1.3843.
    // 129: log(129/128)/1.3843*127 = 0.715 -> 1 + 128;  300: log(2.344)/1.3843*127 = 78.1 -> 79 + 128
    expect(logBucketPosition(128, 256, 512)).toBe(128);
    expect(logBucketPosition(129, 256, 512)).toBe(129);
    expect(logBucketPosition(300, 256, 512)).toBe(207);
    expect(logBucketPosition(-511, 256, 512)).toBe(-255);
  });

  it('relative positions are query minus key, bucketed only with buckets and a max', () => {
    expect(relativePosition(3, 10, -1, 512)).toBe(-7);
    expect(relativePosition(20, 0, 8, 128)).toBe(logBucketPosition(20, 8, 128));
    expect(relativePosition(20, 0, 8, 128)).toBe(6);
  });

  it('pos_att_type is read from a list or from the "p2c|c2p" string form', () => {
    expect(attentionTypes({ pos_att_type: ['p2c', 'c2p'] } as never)).toEqual(['p2c', 'c2p']);
    expect(attentionTypes({ pos_att_type: 'P2C| c2p' } as never)).toEqual(['p2c', 'c2p']);
    expect(attentionTypes({ pos_att_type: null } as never)).toEqual([]);
  });

  it('scores depend on token order and on the relative embeddings (disentangled terms are live)', async () => {
    const model = await loadReferenceModel(await synthesizedModelDir('tiny-deberta'));
    const body = [300, 301, 302, 303, 304, 305, 306, 307, 308, 309];
    const ids = [1, ...body, 2];
    const [base] = referenceLogits(model, { inputIds: ids });
    const [reversed] = referenceLogits(model, { inputIds: [1, ...[...body].reverse(), 2] });
    expect(Math.abs(base! - reversed!)).toBeGreaterThan(1e-3);
    const rel = model.params.get('deberta.encoder.rel_embeddings.weight')!;
    const saved = rel.slice();
    rel.fill(0);
    try {
      const [withoutRel] = referenceLogits(model, { inputIds: ids });
      expect(Math.abs(base! - withoutRel!)).toBeGreaterThan(1e-3);
    } finally {
      rel.set(saved);
    }
  });

  it('refuses configurations it does not compute', async () => {
    const model = await loadReferenceModel(await synthesizedModelDir('tiny-deberta'));
    const config = { ...model.config, share_att_key: false };
    expect(() => referenceLogits({ ...model, config }, { inputIds: [1, 2] })).toThrow(/share_att_key/);
  });
});
