import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BackendLoadOptions, type EncodedBatch, silentLogger } from '@reranker/core';
import { synthesizedModelDir } from '@reranker/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pythonBackend } from '../src/python/backend';

const PYTHON = '/usr/bin/python3'; // Debian's python3-numpy (CI); the python3 on PATH may lack numpy

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'reranker-bf16-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/**
 * Rewrites every F32 tensor of a safetensors file through `convert` (float32 values in, a new
 * dtype name and bytes out), keeping names, shapes and order.
 */
function rewrite(
  file: Buffer,
  convert: (values: Float32Array) => { dtype: string; bytes: Uint8Array },
): Buffer {
  const length = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + length).toString('utf8')) as Record<string, Entry>;
  const base = 8 + length;
  const parts: Uint8Array[] = [];
  const out: Record<string, Entry> = {};
  let offset = 0;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [start, end] = entry.data_offsets;
    const raw = file.subarray(base + start, base + end);
    const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    const { dtype, bytes } = convert(values);
    out[name] = { dtype, shape: entry.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(out));
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([size, json, ...parts]);
}

/** Zeroes the low 16 bits of each float32: the value a bfloat16 holds exactly. */
function bf16Rounded(values: Float32Array): Uint32Array {
  return Uint32Array.from(new Uint32Array(values.buffer), (bits) => bits & 0xffff0000);
}

async function modelWith(name: string, dir: string, weights: Buffer): Promise<string> {
  const target = join(scratch, name);
  await cp(dir, target, { recursive: true });
  await writeFile(join(target, 'model.safetensors'), weights);
  return target;
}

async function logitsOf(dir: string): Promise<number[]> {
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  const read = async (path: string) => new Uint8Array(await readFile(join(dir, path)));
  const model = { id: dir, source: `local:${dir}`, revision: 'local', localDir: dir, read };
  const options: BackendLoadOptions = { model, config, dtype: 'fp32', logger: silentLogger };
  const backend = await pythonBackend({ engine: 'numpy', python: PYTHON }).load(options);
  const batch: EncodedBatch = {
    rows: 2,
    width: 5,
    inputIds: BigInt64Array.from([101n, 300n, 102n, 400n, 102n, 101n, 500n, 102n, 0n, 0n]),
    attentionMask: BigInt64Array.from([1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n, 0n]),
    tokenTypeIds: BigInt64Array.from([0n, 0n, 0n, 1n, 1n, 0n, 0n, 0n, 0n, 0n]),
  };
  try {
    return Array.from(await backend.run(batch));
  } finally {
    await backend.dispose();
  }
}

it('reads BF16 safetensors as the float32 values they hold', async () => {
  const tiny = await synthesizedModelDir('tiny');
  const original = await readFile(join(tiny, 'model.safetensors'));
  const asF32 = rewrite(original, (values) => ({
    dtype: 'F32',
    bytes: new Uint8Array(bf16Rounded(values).buffer),
  }));
  const asBf16 = rewrite(original, (values) => ({
    dtype: 'BF16',
    bytes: new Uint8Array(Uint16Array.from(bf16Rounded(values), (bits) => bits >>> 16).buffer),
  }));
  const f32 = await logitsOf(await modelWith('f32', tiny, asF32));
  const bf16 = await logitsOf(await modelWith('bf16', tiny, asBf16));
  expect(bf16).toHaveLength(2);
  expect(bf16).toEqual(f32);
  // Rounding to bfloat16 moved the logits: the comparison above really depends on the decoding.
  const exact = await logitsOf(tiny);
  expect(Math.max(...exact.map((x, i) => Math.abs(x - f32[i]!)))).toBeGreaterThan(1e-6);
});
