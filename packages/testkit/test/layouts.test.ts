import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  loadReferenceModel,
  maxAbsDiff,
  type PresetName,
  referenceLogits,
  type SynthesizedLayout,
  synthesizedModelDir,
} from '../src/index';
import { SeededRandom } from '../src/rng';
import { makePair, onnx, randomIds, runBatch } from './onnx-helpers';

/**
 * Every file layout the kit writes holds the same model as far as the reference can tell: graphs built
 * by @reranker/onnx-builder from F16/BF16, sharded or external-data files give the logits of the
 * reference pass, which reads the safetensors on its own.
 */

const sessions: ort.InferenceSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.release()));
});

async function checkAgainstReference(preset: PresetName, dir: string): Promise<void> {
  const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'));
  sessions.push(session);
  const reference = await loadReferenceModel(dir);
  const rng = new SeededRandom(17);
  const pairs = [3, 40, 1, 12].map((n) => makePair(preset, randomIds(rng, 4), randomIds(rng, n)));
  const got = await runBatch(session, preset, pairs);
  pairs.forEach((pair, r) => {
    const want = referenceLogits(reference, { inputIds: pair.ids, tokenTypeIds: pair.types });
    expect(maxAbsDiff(got[r]!, want), `row ${r}`).toBeLessThan(1e-5);
  });
  // Able to fail: rows differ by far more than the tolerance.
  expect(Math.abs(got[0]![0]! - got[1]![0]!)).toBeGreaterThan(1e-3);
}

const layouts: [PresetName, SynthesizedLayout][] = [
  ['tiny', { weightsDtype: 'BF16', shards: 3 }],
  ['tiny-2label', { weightsDtype: 'F16' }],
  ['tiny-xlmr', { weightsDtype: 'BF16', shards: 2 }],
];

describe.each(layouts)('%s with %j', (preset, layout) => {
  it('writes the weights in that format and the graph built from them matches the reference', async () => {
    const dir = await synthesizedModelDir(preset, { layout });
    const files = await readdir(dir);
    if ((layout.shards ?? 1) > 1) {
      const index = JSON.parse(await readFile(join(dir, 'model.safetensors.index.json'), 'utf8'));
      const shards = [...new Set(Object.values(index.weight_map as Record<string, string>))].sort();
      expect(shards).toHaveLength(layout.shards!);
      expect(files.filter((f) => f.endsWith('.safetensors')).sort()).toEqual(shards);
      expect(files).not.toContain('model.safetensors');
    }
    const first = files.find((f) => f.endsWith('.safetensors'))!;
    const bytes = await readFile(join(dir, first));
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
    const dtypes = new Set(
      Object.entries(header).flatMap(([k, v]) =>
        k === '__metadata__' ? [] : [(v as { dtype: string }).dtype],
      ),
    );
    expect([...dtypes]).toEqual([layout.weightsDtype]);
    await checkAgainstReference(preset, dir);
  });
});

describe.each(['tiny', 'tiny-xlmr'] as const)('%s with external data', (preset) => {
  it('keeps every weight in onnx/model.onnx_data, and onnxruntime loads it with the reference logits', async () => {
    const dir = await synthesizedModelDir(preset, { layout: { onnx: 'external-data' } });
    expect((await readdir(join(dir, 'onnx'))).sort()).toEqual(['model.onnx', 'model.onnx_data']);
    const graph = onnx.ModelProto.decode(await readFile(join(dir, 'onnx', 'model.onnx')));
    const external = graph.graph!.initializer!.filter(
      (t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL,
    );
    const weights = await loadReferenceModel(dir);
    // Every checkpoint tensor is external (Linear weights under `<name>.T`); only small constants stay inline.
    expect(external.map((t) => t.name!.replace(/\.T$/, '')).sort()).toEqual(
      [...weights.params.keys()].sort(),
    );
    const data = (await stat(join(dir, 'onnx', 'model.onnx_data'))).size;
    for (const t of external) {
      const entry = Object.fromEntries(t.externalData!.map((e) => [e.key, e.value]));
      expect(entry.location).toBe('model.onnx_data');
      expect(Number(entry.offset) % 4096).toBe(0);
      expect(Number(entry.offset) + Number(entry.length)).toBeLessThanOrEqual(data);
    }
    expect((await stat(join(dir, 'onnx', 'model.onnx'))).size).toBeLessThan(64 * 1024);
    await checkAgainstReference(preset, dir);
  });
});

it('a safetensors-only layout has no onnx folder', async () => {
  const dir = await synthesizedModelDir('tiny', { layout: { onnx: 'none' } });
  expect((await readdir(dir)).sort()).toEqual([
    'README.md',
    'config.json',
    'model.safetensors',
    'special_tokens_map.json',
    'tokenizer.json',
    'tokenizer_config.json',
  ]);
});
