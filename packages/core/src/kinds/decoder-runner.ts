import type { EncodedBatch } from '../backend';
import { RerankerError } from '../errors';
import type { DecoderLayout } from './decoder-graph';
import type { BackendKindInfo } from './kind';
import { type KvTensor, type PrefixCacheOptions, type PrefixKv, PrefixKvCache } from './prefix-kv-cache';
import { joinPrefixRows } from './prefix-rows';

/**
 * The little of an ONNX runtime session the decoder runner needs, so onnxruntime-node (in a worker
 * thread) and onnxruntime-web share one implementation. `T` is the runtime's tensor type.
 */
export interface RunnerSession<T> {
  /** Runs the graph, returning only the outputs named in `fetches`. */
  run(feeds: Record<string, T>, fetches: readonly string[]): Promise<Record<string, T>>;
  int64(data: BigInt64Array, dims: readonly number[]): T;
  float32(data: Float32Array, dims: readonly number[]): T;
  /** A float32 output's values, in an array the caller owns. */
  read(tensor: T): Promise<Float32Array>;
  dims(tensor: T): readonly number[];
  /** Frees an output once read (GPU-resident outputs on the web). */
  release?(tensor: T): void;
}

export interface DecoderRunResult {
  /** `rows × numLabels`, row order. */
  logits: Float32Array;
  /** Whether the batch's prefix key/values came from the LRU (`prefix` layout with a prefix only). */
  prefix?: 'hit' | 'miss';
}

const pastName = (layer: number, part: 'key' | 'value') => `past_key_values.${layer}.${part}`;

/**
 * Runs decoder batches (`EncodedBatch` with `prefix`) on a session of either decoder layout
 * (`decoderGraphLayout`). `prefix`: the prefix runs once (batch 1, empty past) and its `present.*`
 * are the past of every document batch, kept in a `PrefixKvCache`. `causal-lm`: every row becomes the
 * whole prompt (`joinPrefixRows`) with `position_ids` and an empty past, and the label tokens' logits
 * are gathered at each row's last real position, `[no, yes]`.
 */
export class DecoderRunner<T> {
  readonly cache: PrefixKvCache;

  constructor(
    private readonly session: RunnerSession<T>,
    private readonly layout: DecoderLayout,
    private readonly kind: BackendKindInfo,
    options: { prefixCache?: PrefixCacheOptions } = {},
  ) {
    this.cache = new PrefixKvCache(options.prefixCache);
  }

  /** `prefix` (key/values reused) or `causal-lm` (whole prompt per row). */
  get layoutType(): DecoderLayout['type'] {
    return this.layout.type;
  }

  run(batch: EncodedBatch): Promise<DecoderRunResult> {
    return this.layout.type === 'prefix' ? this.runPrefixGraph(batch) : this.runCausalLm(batch);
  }

  /** `[batch, kv_heads, 0, head_dim]` zero-length pasts for every layer. */
  private emptyPast(batch: number): Record<string, T> {
    const { layers, kvHeads, headDim } = this.layout;
    const feeds: Record<string, T> = {};
    for (let i = 0; i < layers; i++)
      for (const part of ['key', 'value'] as const)
        feeds[pastName(i, part)] = this.session.float32(new Float32Array(0), [batch, kvHeads, 0, headDim]);
    return feeds;
  }

  /** Logits of one output, read and released, checked to hold `expected` values. */
  private async readLogits(outputs: Record<string, T>, expected: number): Promise<Float32Array> {
    const tensor = outputs.logits;
    if (tensor === undefined)
      throw new RerankerError('BACKEND_FAILED', 'the model returned no logits output');
    const data = await this.session.read(tensor);
    this.session.release?.(tensor);
    if (data.length !== expected) {
      throw new RerankerError(
        'BACKEND_FAILED',
        `the decoder graph returned ${data.length} logits where ${expected} were expected (dims ${this.session.dims(tensor).join('×')})`,
      );
    }
    return data;
  }

  private async runPrefixGraph(batch: EncodedBatch): Promise<DecoderRunResult> {
    const { session, kind } = this;
    const prefix = batch.prefix;
    let past: PrefixKv | undefined;
    let outcome: DecoderRunResult['prefix'];
    if (prefix && prefix.inputIds.length > 0) {
      const held = await this.cache.get(prefix.key, () => this.computePrefix(prefix.inputIds));
      past = held.kv;
      outcome = held.hit ? 'hit' : 'miss';
    }
    const dims = [batch.rows, batch.width];
    const feeds: Record<string, T> = past
      ? Object.fromEntries(Object.entries(past).map(([n, t]) => [n, session.float32(t.data, t.dims)]))
      : this.emptyPast(1);
    feeds.input_ids = session.int64(batch.inputIds, dims);
    feeds.attention_mask = session.int64(batch.attentionMask, dims);
    const outputs = await session.run(feeds, ['logits']);
    const logits = await this.readLogits(outputs, batch.rows * kind.numLabels);
    return outcome ? { logits, prefix: outcome } : { logits };
  }

  /** The prefix alone (batch 1, past 0): its `present.*` are the past of the document batches. */
  private async computePrefix(ids: BigInt64Array): Promise<PrefixKv> {
    const { session } = this;
    const feeds = this.emptyPast(1);
    feeds.input_ids = session.int64(ids, [1, ids.length]);
    feeds.attention_mask = session.int64(new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
    const presents: string[] = [];
    for (let i = 0; i < this.layout.layers; i++) presents.push(`present.${i}.key`, `present.${i}.value`);
    const outputs = await session.run(feeds, presents);
    const kv: Record<string, KvTensor> = {};
    for (const name of presents) {
      const tensor = outputs[name];
      if (tensor === undefined) throw new RerankerError('BACKEND_FAILED', `the model returned no ${name}`);
      kv[name.replace('present.', 'past_key_values.')] = {
        data: await session.read(tensor),
        dims: [...session.dims(tensor)],
      };
      session.release?.(tensor);
    }
    return kv;
  }

  private async runCausalLm(batch: EncodedBatch): Promise<DecoderRunResult> {
    const { session } = this;
    const labels = this.kind.labelTokenIds;
    if (!labels) throw new RerankerError('MODEL_LOAD_FAILED', 'a causal-LM export needs the label token ids');
    const joined = joinPrefixRows(batch, this.kind.padTokenId);
    const dims = [joined.rows, joined.width];
    const feeds = this.emptyPast(joined.rows);
    feeds.input_ids = session.int64(joined.inputIds, dims);
    feeds.attention_mask = session.int64(joined.attentionMask, dims);
    feeds.position_ids = session.int64(joined.positionIds, dims);
    const outputs = await session.run(feeds, ['logits']);
    const tensor = outputs.logits;
    if (tensor === undefined)
      throw new RerankerError('BACKEND_FAILED', 'the model returned no logits output');
    const vocab = session.dims(tensor).at(-1) ?? 0;
    const all = await this.readLogits(outputs, joined.rows * joined.width * vocab);
    if (Math.max(labels.no, labels.yes) >= vocab) {
      throw new RerankerError(
        'BACKEND_FAILED',
        `the export's ${vocab} vocabulary logits do not reach the label tokens (${labels.no}, ${labels.yes})`,
      );
    }
    const logits = new Float32Array(joined.rows * 2);
    for (let r = 0; r < joined.rows; r++) {
      const at = (r * joined.width + joined.lastIndex[r]!) * vocab;
      logits[r * 2] = all[at + labels.no]!;
      logits[r * 2 + 1] = all[at + labels.yes]!;
    }
    return { logits };
  }
}
