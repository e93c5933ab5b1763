import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DECODER_LAYOUTS } from '@reranker/onnx-builder';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  loadQwen3Reference,
  type Qwen3ReferenceModel,
  qwen3LastLogits,
  synthesizedQwen3Dir,
} from '../src/index';
import { onnx } from './onnx-helpers';
import {
  commonPrefix,
  emptyPast,
  type HubInfo,
  hubInfo,
  maxDiff,
  padded,
  promptIds,
} from './qwen3-onnx-helpers';

/**
 * The onnx-community-style export twin of tiny-qwen3 (`onnx/model.onnx` in the Optimum layout, the naive
 * peer of the prefix graph): full-vocabulary logits against the float64 reference.
 */

let dir: string;
let info: HubInfo;
let reference: Qwen3ReferenceModel;
let session: ort.InferenceSession;
beforeAll(async () => {
  dir = await synthesizedQwen3Dir('tiny-qwen3', { onnxCommunityExport: true });
  info = await hubInfo(dir);
  reference = await loadQwen3Reference(dir);
  session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'));
}, 120_000);
afterAll(async () => session?.release());

/** position_ids [B, S] = start + t for every row (padding too, as transformers.js feeds them). */
function positions(rows: number, width: number, start: number): ort.Tensor {
  const data = BigInt64Array.from({ length: rows * width }, (_, i) => BigInt(start + (i % width)));
  return new ort.Tensor('int64', data, [rows, width]);
}

function lastLogits(logits: ort.Tensor, row: number, position: number): Float32Array {
  const [, seq, vocab] = logits.dims as [number, number, number];
  const at = (row * seq + position) * vocab;
  return (logits.data as Float32Array).subarray(at, at + vocab);
}

it('has the onnx-community inputs and outputs, and says so in metadata_props', async () => {
  expect(session.inputNames).toEqual([
    'input_ids',
    'attention_mask',
    'position_ids',
    'past_key_values.0.key',
    'past_key_values.0.value',
    'past_key_values.1.key',
    'past_key_values.1.value',
  ]);
  expect(session.outputNames).toEqual([
    'logits',
    'present.0.key',
    'present.0.value',
    'present.1.key',
    'present.1.value',
  ]);
  const model = onnx.ModelProto.decode(await readFile(join(dir, 'onnx', 'model.onnx')));
  const meta = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key, p.value]));
  expect(meta['reranker.layout']).toBe(DECODER_LAYOUTS.causalLm);
  // The export sits beside the checkpoint it was built from, as in a hub repo.
  expect(await readFile(join(dir, 'model.safetensors'))).toBeTruthy();
});

it('whole prompts in one right-padded batch: full-vocabulary logits at each last real token within 1e-5', async () => {
  const prompts = promptIds(info);
  const width = Math.max(...prompts.map((p) => p.length));
  const out = await session.run({
    ...padded(prompts),
    position_ids: positions(prompts.length, width, 0),
    ...emptyPast(info.config, prompts.length),
  });
  expect(out.logits!.dims).toEqual([prompts.length, width, info.config.vocab_size]);
  prompts.forEach((ids, r) => {
    const want = qwen3LastLogits(reference, ids);
    expect(maxDiff(lastLogits(out.logits!, r, ids.length - 1), want), `row ${r}`).toBeLessThan(1e-5);
  });
});

it('with a past: the shared prefix first, then the rest; presents are past + current', async () => {
  const prompts = promptIds(info);
  const shared = commonPrefix(prompts);
  const rows = prompts.length;
  const first = await session.run({
    ...padded(prompts.map((p) => p.slice(0, shared))),
    position_ids: positions(rows, shared, 0),
    ...emptyPast(info.config, rows),
  });
  const rest = prompts.map((p) => p.slice(shared));
  const width = Math.max(...rest.map((r) => r.length));
  const feeds = padded(rest);
  const mask = new BigInt64Array(rows * (shared + width));
  rest.forEach((r, b) => {
    for (let i = 0; i < shared + r.length; i++) mask[b * (shared + width) + i] = 1n;
  });
  const past: Record<string, ort.Tensor> = {};
  for (const [name, value] of Object.entries(first))
    if (name.startsWith('present.')) past[name.replace('present.', 'past_key_values.')] = value;
  const second = await session.run({
    input_ids: feeds.input_ids,
    attention_mask: new ort.Tensor('int64', mask, [rows, shared + width]),
    position_ids: positions(rows, width, shared),
    ...past,
  });
  expect(second['present.1.key']!.dims).toEqual([rows, 2, shared + width, 16]);
  prompts.forEach((ids, r) => {
    const want = qwen3LastLogits(reference, ids);
    expect(maxDiff(lastLogits(second.logits!, r, rest[r]!.length - 1), want), `row ${r}`).toBeLessThan(1e-5);
  });
});
