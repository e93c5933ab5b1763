import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BuildError,
  encodeSafetensors,
  encodeShardedSafetensors,
  findCheckpoint,
  type NamedTensor,
  openCheckpoint,
  parseShardIndex,
} from '../src/index';
import { openSafetensors } from '../src/safetensors/read';

let work: string;
let count = 0;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'onnx-builder-safetensors-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A fresh folder holding `files`. */
async function folder(files: Record<string, Uint8Array | string>): Promise<string> {
  const dir = join(work, `case-${count++}`);
  await mkdir(dir);
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return dir;
}

const tensors: NamedTensor[] = [
  { name: 'a.weight', shape: [2, 3], data: Float32Array.from([1, -2, 0.5, 3.25, -0.125, 1024]) },
  { name: 'a.bias', shape: [2], data: Float32Array.from([-1, 0.75]) },
  { name: 'b', shape: [5], data: Float32Array.from([0, 1, 2, 3, 4]) },
];

async function readAll(dir: string): Promise<Record<string, number[]>> {
  const source = await openCheckpoint(dir);
  try {
    const out: Record<string, number[]> = {};
    for (const name of source.tensors.keys()) out[name] = Array.from(await source.read(name));
    return out;
  } finally {
    await source.close();
  }
}

const expected = Object.fromEntries(tensors.map((t) => [t.name, Array.from(t.data)]));

describe('reading safetensors', () => {
  it.each(['F32', 'F16', 'BF16'] as const)(
    'reads back %s values (exactly representable here)',
    async (dtype) => {
      const dir = await folder({ 'model.safetensors': encodeSafetensors(tensors, { dtype }) });
      const source = await openCheckpoint(dir);
      expect(source.tensors.get('a.weight')).toEqual({ name: 'a.weight', shape: [2, 3], dtype });
      await source.close();
      expect(await readAll(dir)).toEqual(expected);
    },
  );

  it('reads slices of a tensor', async () => {
    const dir = await folder({ 'model.safetensors': encodeSafetensors(tensors, { dtype: 'BF16' }) });
    const source = await openCheckpoint(dir);
    expect(Array.from(await source.read('a.weight', 2, 3))).toEqual([0.5, 3.25, -0.125]);
    expect(Array.from(await source.read('b', 4))).toEqual([4]);
    await expect(source.read('b', 3, 3)).rejects.toThrow(/past its end/);
    await source.close();
  });

  it('reads a sharded checkpoint through its index', async () => {
    const files = encodeShardedSafetensors(tensors, 3);
    expect([...files.keys()]).toEqual([
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
      'model.safetensors.index.json',
    ]);
    const dir = await folder(Object.fromEntries(files));
    expect(await findCheckpoint(dir)).toEqual({
      format: 'safetensors',
      files: [...files.keys()].slice(0, 3),
      index: 'model.safetensors.index.json',
    });
    expect(await readAll(dir)).toEqual(expected);
  });

  it('names a pickled checkpoint as such and refuses to open it', async () => {
    const dir = await folder({ 'pytorch_model.bin': 'not unpickled' });
    expect(await findCheckpoint(dir)).toEqual({ format: 'pytorch', files: ['pytorch_model.bin'] });
    await expect(openCheckpoint(dir)).rejects.toThrow(/convert it to safetensors/);
    expect(await findCheckpoint(await folder({}))).toBeUndefined();
  });
});

describe('refusing broken or hostile files', () => {
  const good = encodeSafetensors(tensors);
  const headerLength = Number(new DataView(good.buffer).getBigUint64(0, true));
  const withHeader = (header: object) => {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + 64);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    return out;
  };

  it.each([
    ['a truncated file', good.subarray(0, good.length - 4), /a\.weight|b offsets|do not fit/],
    ['a file shorter than 8 bytes', good.subarray(0, 5), /shorter than its 8-byte header/],
    [
      'a header longer than the file',
      (() => {
        const copy = good.slice();
        new DataView(copy.buffer).setBigUint64(0, BigInt(headerLength + 10_000), true);
        return copy;
      })(),
      /header length/,
    ],
    ['a header that is not JSON', withHeader({}).fill(0x7b, 8, 12), /not valid JSON/],
    [
      'an unknown dtype',
      withHeader({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }),
      /unknown dtype/,
    ],
    [
      'a negative shape',
      withHeader({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }),
      /malformed shape/,
    ],
    [
      'overlapping tensors',
      withHeader({
        x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
        y: { dtype: 'F32', shape: [4], data_offsets: [8, 24] },
      }),
      /overlap/,
    ],
  ])('%s', async (_, bytes, message) => {
    const dir = await folder({ 'model.safetensors': bytes });
    const error = await openCheckpoint(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BuildError);
    expect((error as BuildError).reason).toBe('invalid-checkpoint');
    expect((error as Error).message).toMatch(message);
  });

  it.each(['../model.safetensors', '/etc/passwd', 'sub/dir.safetensors', 'model.bin', '..safetensors'])(
    'refuses a shard index that points at %s',
    (shard) => {
      expect(() => parseShardIndex({ weight_map: { w: shard } })).toThrow(/not a .safetensors file name/);
    },
  );

  it('refuses an index that disagrees with its shards, and a tensor in two shards', async () => {
    const files = encodeShardedSafetensors(tensors, 2);
    const index = {
      weight_map: { 'a.weight': 'model-00002-of-00002.safetensors', b: 'model-00001-of-00002.safetensors' },
    };
    const dir = await folder({
      ...Object.fromEntries(files),
      'model.safetensors.index.json': JSON.stringify(index),
    });
    await expect(openCheckpoint(dir)).rejects.toThrow(
      /puts a\.weight in model-00002-of-00002\.safetensors, but it is in model-00001/,
    );
    const twice = await folder({
      'x.safetensors': encodeSafetensors(tensors),
      'y.safetensors': encodeSafetensors(tensors),
    });
    await expect(
      openSafetensors(
        new Map([
          ['x.safetensors', join(twice, 'x.safetensors')],
          ['y.safetensors', join(twice, 'y.safetensors')],
        ]),
      ),
    ).rejects.toThrow(/in both x\.safetensors and y\.safetensors/);
  });
});
