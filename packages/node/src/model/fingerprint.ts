/**
 * The fingerprint of a model: what was loaded, as content. Pair cache keys include it (see core's
 * `ModelFiles.fingerprint`), so a model folder replaced at the same path, or a hub branch that moved,
 * never reads the scores of the model before it from a shared cache.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type Dtype, errorMessage, type Logger, ONNX_FILE_BY_DTYPE } from '@reranker/core';

/**
 * The files of a model folder a fingerprint covers, wherever the folder came from: what the engine and
 * the backends read for `dtype` (a graph built from safetensors adds its own build fingerprint).
 */
export function modelFileNames(dtype: Dtype, extraFiles: readonly string[] = []): string[] {
  const onnx = ONNX_FILE_BY_DTYPE[dtype];
  return [
    'config.json',
    'tokenizer.json',
    onnx,
    'tokenizer_config.json',
    'special_tokens_map.json',
    // Models over 2 GB keep their weights in `<file>_data` next to the graph.
    `${onnx}_data`,
    ...extraFiles,
  ];
}

/** SHA-256 (hex) of a file, streamed: a 2 GB model file never sits in memory. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** One hash over the files' hashes, sorted by name, so the order they were hashed in does not matter. */
export function combineHashes(files: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) hash.update(`${name}\0${files[name]}\n`);
  return hash.digest('hex');
}

/** The folder under the cache dir where the hashes of files in local model folders are remembered. */
export function hashMemoDir(cacheDir: string): string {
  return join(cacheDir, 'file-hashes');
}

/** What identifies a file's version without reading it (as git's index does): any rewrite changes one. */
interface FileIdentity {
  path: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
  ino: string;
  dev: string;
}

interface MemoEntry extends FileIdentity {
  version: 1;
  sha256: string;
}

async function identify(path: string): Promise<FileIdentity> {
  const info = await stat(path, { bigint: true });
  return {
    path,
    size: String(info.size),
    mtimeNs: String(info.mtimeNs),
    ctimeNs: String(info.ctimeNs),
    ino: String(info.ino),
    dev: String(info.dev),
  };
}

const sameIdentity = (a: FileIdentity, b: FileIdentity): boolean =>
  a.path === b.path &&
  a.size === b.size &&
  a.mtimeNs === b.mtimeNs &&
  a.ctimeNs === b.ctimeNs &&
  a.ino === b.ino &&
  a.dev === b.dev;

/**
 * SHA-256 of a file in a local model folder, remembered in `memoDir` (one small JSON file per path)
 * with the file's size, mtime, ctime, inode and device: the next start reads that instead of hashing
 * the file again, as long as none of them changed. Copying, moving or rewriting a file changes its
 * ctime (which no tool can set back), so a replaced model is always hashed anew. A memo that cannot
 * be written (read-only cache dir) only costs the hash on every start, with a warning.
 */
export async function hashLocalFile(path: string, memoDir: string, logger: Logger): Promise<string> {
  const before = await identify(path);
  const memoPath = join(memoDir, `${createHash('sha256').update(path).digest('hex').slice(0, 32)}.json`);
  const memo = await readMemo(memoPath);
  if (memo && sameIdentity(memo, before)) return memo.sha256;
  const sha256 = await hashFile(path);
  // A file changed while it was read may have given a hash of neither version: use it, never keep it.
  if (!sameIdentity(await identify(path), before)) return sha256;
  const entry: MemoEntry = { version: 1, ...before, sha256 };
  try {
    await writeAtomically(memoPath, `${JSON.stringify(entry)}\n`);
  } catch (error) {
    logger.warn(
      { path, memoDir, error: errorMessage(error) },
      `could not remember the hash of ${path} in ${memoDir}; it is hashed again at every start`,
    );
  }
  return sha256;
}

async function readMemo(memoPath: string): Promise<MemoEntry | undefined> {
  try {
    const parsed = JSON.parse(await readFile(memoPath, 'utf8')) as Partial<MemoEntry>;
    return parsed.version === 1 && typeof parsed.sha256 === 'string' ? (parsed as MemoEntry) : undefined;
  } catch {
    return undefined; // Missing or corrupt: hash the file.
  }
}

/** Temp file + rename, so two processes starting together never read half a memo. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
