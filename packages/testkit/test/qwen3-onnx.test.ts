import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildOnnxModel,
  DECODER_LAYOUTS,
  openCheckpoint,
  quantizeDynamicInt8,
  writeOnnxModel,
} from '@reranker/onnx-builder';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  kendallTau,
  loadQwen3Reference,
  QWEN3_RERANKER_TEMPLATE,
  type Qwen3PresetName,
  type Qwen3ReferenceModel,
  referenceYesNoScore,
  synthesizedQwen3Dir,
} from '../src/index';
import { onnx } from './onnx-helpers';
import {
  asPast,
  commonPrefix,
  DOCUMENTS,
  emptyPast,
  type HubInfo,
  hubInfo,
  maxDiff,
  promptIds,
  QUERY,
  referenceRow,
  runPrefixGraph,
} from './qwen3-onnx-helpers';

/**
 * The prefix-reuse reranking graph of @reranker/onnx-builder against the float64 reference written
 * from the Qwen2/Qwen3 definitions, on synthesized checkpoints (random weights: the scores carry no
 * meaning, only their agreement does).
 */

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'qwen3-onnx-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Loaded {
  info: HubInfo;
  reference: Qwen3ReferenceModel;
  bytes: Uint8Array;
  session: ort.InferenceSession;
}

async function load(preset: Qwen3PresetName): Promise<Loaded> {
  const dir = await synthesizedQwen3Dir(preset);
  const info = await hubInfo(dir);
  const weights = await openCheckpoint(dir);
  const bytes = await buildOnnxModel(info.config, weights, { decoder: { labelTokenIds: info.labelIds } });
  await weights.close();
  const session = await ort.InferenceSession.create(bytes);
  return { info, reference: await loadQwen3Reference(dir), bytes, session };
}

describe.each(['tiny-qwen3', 'tiny-qwen3-seq-cls', 'tiny-qwen2'] as const)('%s prefix graph', (preset) => {
  let m: Loaded;
  beforeAll(async () => {
    m = await load(preset);
  }, 120_000);
  afterAll(async () => m.session.release());

  it('whole prompts of mixed lengths in one right-padded batch (past 0) match the reference within 1e-5', async () => {
    const prompts = promptIds(m.info);
    const lengths = prompts.map((p) => p.length);
    expect(Math.max(...lengths) - Math.min(...lengths)).toBeGreaterThan(20);
    const { logits } = await runPrefixGraph(m.session, prompts, emptyPast(m.info.config));
    prompts.forEach((ids, r) => {
      expect(maxDiff(logits[r]!, referenceRow(m.reference, ids, m.info.labelIds)), `row ${r}`).toBeLessThan(
        1e-5,
      );
    });
  });

  it('the prefix run once, then the documents against it: the reference score within 1e-5, equal to the whole-prompt run', async () => {
    const prompts = promptIds(m.info);
    const shared = commonPrefix(prompts);
    expect(shared).toBeGreaterThan(40); // system line, instruction and query
    const prefix = await runPrefixGraph(m.session, [prompts[0]!.slice(0, shared)], emptyPast(m.info.config));
    const past = asPast(prefix.outputs);
    const kvh = m.info.config.num_key_value_heads as number;
    expect(past['past_key_values.1.key']!.dims).toEqual([1, kvh, shared, 16]);
    const rows = prompts.map((p) => p.slice(shared));
    const reused = await runPrefixGraph(m.session, rows, past);
    const whole = await runPrefixGraph(m.session, prompts, emptyPast(m.info.config));
    // This call's own keys only: [batch, kv_heads, seq, head_dim].
    const width = Math.max(...rows.map((r) => r.length));
    expect(reused.outputs['present.0.value']!.dims).toEqual([rows.length, kvh, width, 16]);
    DOCUMENTS.forEach((document, r) => {
      const want = referenceYesNoScore(
        m.reference,
        QWEN3_RERANKER_TEMPLATE,
        m.info.labelIds,
        { query: QUERY, document },
        m.info.encode,
      );
      const got = reused.logits[r]!;
      const score = got.length === 1 ? got[0]! : got[1]! - got[0]!;
      expect(Math.abs(score - want.score), `row ${r}`).toBeLessThan(1e-5);
      expect(maxDiff(got, whole.logits[r]!), `row ${r} vs whole prompt`).toBeLessThan(1e-5);
    });
  });
});

describe('tiny-qwen3 prefix graph: format, q8 and external data', () => {
  let m: Loaded;
  beforeAll(async () => {
    m = await load('tiny-qwen3');
  }, 120_000);
  afterAll(async () => m.session.release());

  it('records the layout and the label tokens in metadata_props; logits are [no, yes]', () => {
    const model = onnx.ModelProto.decode(m.bytes);
    const meta = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key, p.value]));
    expect(meta['reranker.layout']).toBe(DECODER_LAYOUTS.yesNoPrefix);
    expect(JSON.parse(meta['reranker.label_tokens']!)).toEqual({
      no: m.info.labelIds.no,
      yes: m.info.labelIds.yes,
    });
    expect(m.session.inputNames.slice(0, 3)).toEqual([
      'input_ids',
      'attention_mask',
      'past_key_values.0.key',
    ]);
    expect(m.session.outputNames).toEqual([
      'logits',
      'present.0.key',
      'present.0.value',
      'present.1.key',
      'present.1.value',
    ]);
  });

  it('q8 (dynamic int8) stays near the reference and ranks the documents as it does', async () => {
    const q8 = quantizeDynamicInt8(m.bytes);
    // Quantizing as the weights stream from the checkpoint (how models past 2 GB get int8) gives the same bytes.
    const weights = await openCheckpoint(await synthesizedQwen3Dir('tiny-qwen3'));
    const streamed = await buildOnnxModel(m.info.config, weights, {
      decoder: { labelTokenIds: m.info.labelIds },
      quantizeInt8: true,
    });
    await weights.close();
    expect(Buffer.from(streamed).equals(Buffer.from(q8))).toBe(true);
    const session = await ort.InferenceSession.create(q8);
    const documents = [...DOCUMENTS, 'Shanghai is the largest city of China.', 'The capital of China?', 'no'];
    const prompts = promptIds(m.info, documents);
    const { logits } = await runPrefixGraph(session, prompts, emptyPast(m.info.config));
    await session.release();
    const got = logits.map(([no, yes]) => yes! - no!);
    const want = prompts.map((ids) => {
      const [no, yes] = referenceRow(m.reference, ids, m.info.labelIds);
      return yes! - no!;
    });
    // Log-odds near 5 with random weights, spread ~0.5 across documents; measured |Δ| 0.125, tau 1.
    expect(maxDiff(got, want)).toBeLessThan(0.25);
    expect(maxDiff(got, want)).toBeGreaterThan(1e-4); // it is quantized
    expect(kendallTau(got, want)).toBeGreaterThanOrEqual(0.7);
  });

  it('writes the same graph with external data; it loads by path and gives identical logits', async () => {
    const dir = join(work, 'external');
    await mkdir(dir, { recursive: true });
    const weights = await openCheckpoint(await synthesizedQwen3Dir('tiny-qwen3'));
    const written = await writeOnnxModel(m.info.config, weights, join(dir, 'model.onnx'), {
      externalData: true,
      decoder: { labelTokenIds: m.info.labelIds },
    });
    await weights.close();
    expect(written).toMatchObject({ files: ['model.onnx', 'model.onnx_data'], externalData: true });
    const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
    const prompts = promptIds(m.info);
    const fromFile = await runPrefixGraph(session, prompts, emptyPast(m.info.config));
    const inline = await runPrefixGraph(m.session, prompts, emptyPast(m.info.config));
    await session.release();
    expect(fromFile.logits).toEqual(inline.logits);
  });
});
