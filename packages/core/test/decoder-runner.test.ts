import { describe, expect, it } from 'vitest';
import {
  type BackendKindInfo,
  type DecoderGraphSignature,
  DecoderRunner,
  decoderGraphLayout,
  type EncodedBatch,
  type PrefixKv,
  PrefixKvCache,
  type RunnerSession,
} from '../src/index';

// The decoder layout choice and its refusals, the prefix LRU's bounds, and the runner's feeds, on
// signatures and a recording fake session (scores are checked on real graphs in web-decoder.test.ts
// and node's onnx-decoder.test.ts).

const YES_NO: BackendKindInfo = {
  name: 'decoder-yes-no',
  numLabels: 2,
  graph: { inputs: 'prefix-cache' },
  labelTokenIds: { no: 7, yes: 9 },
  padTokenId: 0,
};
const SEQ_CLS: BackendKindInfo = {
  name: 'decoder-seq-cls',
  numLabels: 1,
  graph: { inputs: 'prefix-cache' },
  padTokenId: 0,
};
const CONFIG = {
  model_type: 'qwen3',
  num_key_value_heads: 2,
  head_dim: 4,
  num_attention_heads: 4,
  hidden_size: 16,
};

const pasts = (layers: number) =>
  Array.from({ length: layers }, (_, i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]).flat();
const presents = (layers: number) =>
  Array.from({ length: layers }, (_, i) => [`present.${i}.key`, `present.${i}.value`]).flat();

const prefixGraph = (labels = 2): DecoderGraphSignature => ({
  inputNames: ['input_ids', 'attention_mask', ...pasts(2)],
  outputNames: ['logits', ...presents(2)],
  shapes: { logits: [null, labels], 'past_key_values.0.key': [1, 2, null, 4] },
});
const causalGraph = (vocab: number | null = 32): DecoderGraphSignature => ({
  inputNames: ['input_ids', 'attention_mask', 'position_ids', ...pasts(2)],
  outputNames: ['logits', ...presents(2)],
  shapes: { logits: [null, null, vocab] },
});

describe('decoderGraphLayout', () => {
  it('tells the prefix graph from an onnx-community export, with the past dims', () => {
    expect(decoderGraphLayout(prefixGraph(), YES_NO, CONFIG, 'm.onnx')).toEqual({
      type: 'prefix',
      layers: 2,
      kvHeads: 2,
      headDim: 4,
    });
    expect(decoderGraphLayout(prefixGraph(1), SEQ_CLS, CONFIG, 'm.onnx').type).toBe('prefix');
    // No static past dims in the graph: config.json's.
    expect(decoderGraphLayout(causalGraph(), YES_NO, CONFIG, 'm.onnx')).toEqual({
      type: 'causal-lm',
      layers: 2,
      kvHeads: 2,
      headDim: 4,
    });
  });

  it.each([
    ['a seq-cls kind on a vocabulary export', causalGraph(), SEQ_CLS, /score only a yes\/no reranker/],
    ['a vocabulary too small for the label ids', causalGraph(8), YES_NO, /do not reach the label tokens/],
    [
      'position_ids without a past',
      { ...causalGraph(), inputNames: ['input_ids', 'attention_mask', 'position_ids'] },
      YES_NO,
      /no past_key_values/,
    ],
    [
      'an input nobody feeds',
      { ...causalGraph(), inputNames: [...causalGraph().inputNames, 'token_type_ids'] },
      YES_NO,
      /cannot feed \(token_type_ids\)/,
    ],
    [
      'a cross-encoder export',
      { inputNames: ['input_ids', 'attention_mask'], outputNames: ['logits'] },
      YES_NO,
      /no past_key_values/,
    ],
    [
      'prefix logits of the wrong rank',
      { ...prefixGraph(), shapes: { logits: [null, null, 2] } },
      YES_NO,
      /rank 3/,
    ],
    [
      'prefix logits of another label count',
      prefixGraph(2),
      SEQ_CLS,
      /2 labels where the model kind reads 1/,
    ],
  ] as const)('refuses %s with MODEL_LOAD_FAILED naming why', (_, graph, kind, why) => {
    let error: unknown;
    try {
      decoderGraphLayout(graph, kind, CONFIG, 'm.onnx');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    expect((error as Error).message).toMatch(why);
    expect((error as Error).message).toContain('m.onnx');
  });
});

const kv = (bytes: number): PrefixKv => ({
  'past_key_values.0.key': { data: new Float32Array(bytes / 4), dims: [1, 1, bytes / 4, 1] },
});

describe('PrefixKvCache', () => {
  it('holds recent prefixes within maxEntries and maxBytes, counting hits, misses and evictions', async () => {
    const cache = new PrefixKvCache({ maxEntries: 2, maxBytes: 1000 });
    let computed = 0;
    const get = (key: string, bytes = 400) =>
      cache.get(key, async () => {
        computed++;
        return kv(bytes);
      });
    expect((await get('a')).hit).toBe(false);
    expect((await get('a')).hit).toBe(true);
    await get('b');
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2, entries: 2, bytes: 800, evictions: 0 });
    await get('c'); // 1200 bytes > 1000: the least recent (a) goes
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 800, evictions: 1 });
    expect((await get('a')).hit).toBe(false);
    await get('huge', 2000); // larger than maxBytes: computed, never held
    expect((await get('huge', 2000)).hit).toBe(false);
    expect(cache.stats().bytes).toBeLessThanOrEqual(1000);
    expect(computed).toBe(6);
  });

  it('shares a computation in flight and forgets a failed one', async () => {
    const cache = new PrefixKvCache();
    let calls = 0;
    const slow = () =>
      new Promise<PrefixKv>((resolve) => {
        calls++;
        setTimeout(() => resolve(kv(16)), 10);
      });
    const [a, b] = await Promise.all([cache.get('k', slow), cache.get('k', slow)]);
    expect(calls).toBe(1);
    expect([a.hit, b.hit]).toEqual([false, true]);
    await expect(cache.get('bad', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect((await cache.get('bad', async () => kv(16))).hit).toBe(false);
  });

  it('refuses bounds that are not integers', () => {
    expect(() => new PrefixKvCache({ maxEntries: 0 })).toThrow(/maxEntries must be an integer ≥ 1/);
    expect(() => new PrefixKvCache({ maxBytes: 1.5 })).toThrow(/maxBytes/);
  });
});

type FakeTensor = { data: Float32Array | BigInt64Array; dims: readonly number[] };

/** A session that records feeds and answers presents of the prefix length and [B, 2] logits. */
function fakeSession(runs: Record<string, FakeTensor>[]): RunnerSession<FakeTensor> {
  return {
    async run(feeds, fetches) {
      runs.push(feeds);
      const rows = feeds.input_ids!.dims[0]!;
      const length = feeds.input_ids!.dims[1]!;
      const out: Record<string, FakeTensor> = {};
      for (const name of fetches)
        out[name] =
          name === 'logits'
            ? { data: Float32Array.from({ length: rows * 2 }, (_, i) => i), dims: [rows, 2] }
            : { data: new Float32Array(2 * length * 4).fill(length), dims: [1, 2, length, 4] };
      return out;
    },
    int64: (data, dims) => ({ data, dims }),
    float32: (data, dims) => ({ data, dims }),
    read: async (t) => Float32Array.from(t.data as Float32Array),
    dims: (t) => t.dims,
  };
}

const batch = (prefix: number[]): EncodedBatch => ({
  rows: 2,
  width: 3,
  inputIds: BigInt64Array.from([5n, 6n, 0n, 5n, 6n, 7n]),
  attentionMask: BigInt64Array.from([1n, 1n, 0n, 1n, 1n, 1n]),
  tokenTypeIds: new BigInt64Array(6),
  prefix: { key: prefix.join(','), inputIds: BigInt64Array.from(prefix, BigInt) },
});

describe('DecoderRunner on the prefix graph', () => {
  it('runs the prefix once (batch 1, empty past) and feeds its presents as every later batch past', async () => {
    const runs: Record<string, FakeTensor>[] = [];
    const layout = decoderGraphLayout(prefixGraph(), YES_NO, CONFIG, 'm.onnx');
    const runner = new DecoderRunner(fakeSession(runs), layout, YES_NO);
    expect((await runner.run(batch([1, 2, 3]))).prefix).toBe('miss');
    expect((await runner.run(batch([1, 2, 3]))).prefix).toBe('hit');
    expect(runs).toHaveLength(3); // prefix, batch, batch
    expect(runs[0]!.input_ids!.dims).toEqual([1, 3]);
    expect(runs[0]!['past_key_values.1.value']!.dims).toEqual([1, 2, 0, 4]);
    for (const run of runs.slice(1)) {
      expect(run.input_ids!.dims).toEqual([2, 3]);
      expect(run['past_key_values.0.key']!.dims).toEqual([1, 2, 3, 4]);
      expect(Array.from(run['past_key_values.0.key']!.data as Float32Array).every((v) => v === 3)).toBe(true);
    }
    expect(runner.cache.stats()).toMatchObject({ hits: 1, misses: 1, entries: 1 });
  });
});
