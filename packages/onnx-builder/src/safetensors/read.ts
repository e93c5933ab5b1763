import { type FileHandle, open } from 'node:fs/promises';
import { BuildError } from '../errors';
import { widen16 } from '../float16';
import { requireLittleEndian } from '../proto';
import type { TensorInfo, WeightSource } from '../tensor';
import { DTYPE_BYTES, headerLength, parseHeader, type TensorEntry } from './header';

/** One open safetensors file: its tensors, and the handle their bytes are read from. */
interface OpenFile {
  path: string;
  handle: FileHandle;
  entries: Map<string, TensorEntry>;
}

/** Opens a safetensors file and reads its header only; the data stays on disk until asked for. */
async function openFile(path: string, label: string): Promise<OpenFile> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const first8 = await readExactly(handle, 0, Math.min(8, size), label);
    const length = headerLength(first8, size, label);
    const json = await readExactly(handle, 8, length, label);
    return { path, handle, entries: parseHeader(json, size, label) };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** `length` bytes from `position`, looping over short reads; a file that ends early is corrupt. */
async function readExactly(
  handle: FileHandle,
  position: number,
  length: number,
  label: string,
  into = new Uint8Array(length),
): Promise<Uint8Array> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(into, done, length - done, position + done);
    if (bytesRead === 0)
      throw new BuildError('invalid-checkpoint', `${label} ended early (it changed while being read?)`);
    done += bytesRead;
  }
  return into;
}

/**
 * A `WeightSource` over safetensors files (one, or the shards of a sharded checkpoint), reading each
 * tensor (or slice) from disk when asked: memory holds only what the caller keeps. `files` maps a
 * label for messages (the file's name in the model folder) to its path. `owners` (a shard index's
 * `weight_map`: tensor -> label) must agree with what the files hold.
 */
export async function openSafetensors(
  files: ReadonlyMap<string, string>,
  owners?: ReadonlyMap<string, string>,
): Promise<WeightSource> {
  requireLittleEndian('reading safetensors');
  const opened: OpenFile[] = [];
  const owner = new Map<string, { file: OpenFile; label: string; entry: TensorEntry }>();
  const tensors = new Map<string, TensorInfo>();
  try {
    for (const [label, path] of files) {
      const file = await openFile(path, label);
      opened.push(file);
      for (const entry of file.entries.values()) {
        const previous = owner.get(entry.name);
        if (previous)
          throw new BuildError(
            'invalid-checkpoint',
            `tensor ${entry.name} is in both ${previous.label} and ${label}`,
          );
        owner.set(entry.name, { file, label, entry });
        tensors.set(entry.name, { name: entry.name, shape: entry.shape, dtype: entry.dtype });
      }
    }
    for (const [name, label] of owners ?? []) {
      const found = owner.get(name)?.label;
      if (found !== label) {
        const where = found ? `it is in ${found}` : 'no shard has it';
        throw new BuildError('invalid-checkpoint', `the shard index puts ${name} in ${label}, but ${where}`);
      }
    }
  } catch (error) {
    await Promise.all(opened.map((f) => f.handle.close()));
    throw error;
  }
  return {
    tensors,
    async read(name, start = 0, count) {
      const found = owner.get(name);
      if (!found) throw new Error(`missing tensor ${name}`);
      const { file, label, entry } = found;
      const size = DTYPE_BYTES[entry.dtype]!;
      const total = entry.byteLength / size;
      const n = count ?? total - start;
      if (start < 0 || n < 0 || start + n > total) throw new Error(`tensor ${name}: read past its end`);
      const position = entry.offset + start * size;
      if (entry.dtype === 'F32') {
        // Read straight into the float32 array's memory: no second copy.
        const out = new Float32Array(n);
        await readExactly(file.handle, position, n * 4, label, new Uint8Array(out.buffer));
        return out;
      }
      if (entry.dtype === 'F16' || entry.dtype === 'BF16')
        return widen16(entry.dtype, await readExactly(file.handle, position, n * 2, label));
      throw new BuildError('invalid-checkpoint', `tensor ${name} is ${entry.dtype}, not a float weight`);
    },
    async close() {
      await Promise.all(opened.map((f) => f.handle.close()));
    },
  };
}
