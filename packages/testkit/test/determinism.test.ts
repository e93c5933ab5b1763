import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type PresetName, synthesizeCrossEncoder } from '../src/index';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function synth(preset: PresetName, seed: number) {
  const outDir = await mkdtemp(join(tmpdir(), 'reranker-determinism-'));
  dirs.push(outDir);
  return synthesizeCrossEncoder({ preset, seed, outDir });
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('synthesis is deterministic', () => {
  it.each(['tiny', 'tiny-xlmr'] as const)(
    '%s: the same preset and seed give byte-identical files',
    async (preset) => {
      const a = await synth(preset, 7);
      const b = await synth(preset, 7);
      const files = await listFiles(a.dir);
      expect(files).toEqual([
        'README.md',
        'config.json',
        'model.safetensors',
        'onnx/model.onnx',
        'onnx/model_fp16.onnx',
        'onnx/model_quantized.onnx',
        'special_tokens_map.json',
        'tokenizer.json',
        'tokenizer_config.json',
      ]);
      expect(await listFiles(b.dir)).toEqual(files);
      for (const file of files) {
        const [x, y] = await Promise.all([readFile(join(a.dir, file)), readFile(join(b.dir, file))]);
        expect(x.equals(y), file).toBe(true);
      }
    },
  );

  it('another seed changes the weights but not the tokenizer', async () => {
    const a = await synth('tiny', 1);
    const b = await synth('tiny', 2);
    const read = (dir: string, file: string) => readFile(join(dir, file));
    expect((await read(a.dir, 'model.safetensors')).equals(await read(b.dir, 'model.safetensors'))).toBe(
      false,
    );
    expect((await read(a.dir, 'onnx/model.onnx')).equals(await read(b.dir, 'onnx/model.onnx'))).toBe(false);
    expect((await read(a.dir, 'tokenizer.json')).equals(await read(b.dir, 'tokenizer.json'))).toBe(true);
  });
});
