import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * SHA-256 of files' contents, remembered in a small JSON file by path and identity (device, inode,
 * size, modification time in ns) so that a multi-GB checkpoint is read once per change, not on every
 * start. A file replaced or edited gets a new identity and is hashed again.
 */
interface Entry {
  identity: string;
  sha256: string;
}

async function identity(path: string): Promise<string> {
  const info = await stat(path, { bigint: true });
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}`;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 4 * 1024 * 1024 }), hash);
  return hash.digest('hex');
}

async function readMemo(memoPath: string): Promise<Record<string, Entry>> {
  try {
    const parsed = JSON.parse(await readFile(memoPath, 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, Entry>) : {};
  } catch {
    return {}; // Missing or corrupt: everything is hashed again.
  }
}

/** The SHA-256 of each file in `paths` (absolute), reusing and updating the memo at `memoPath`. */
export async function contentHashes(paths: readonly string[], memoPath: string): Promise<string[]> {
  const memo = await readMemo(memoPath);
  let changed = false;
  const hashes: string[] = [];
  for (const path of paths) {
    const id = await identity(path);
    let entry = memo[path];
    if (entry?.identity !== id) {
      entry = { identity: id, sha256: await hashFile(path) };
      // Read again: a file written while it was hashed must not be remembered under its old identity.
      if ((await identity(path)) === id) {
        memo[path] = entry;
        changed = true;
      }
    }
    hashes.push(entry.sha256);
  }
  if (changed) await writeMemo(memoPath, memo);
  return hashes;
}

/** Atomic (temp file + rename); two processes racing lose at most one entry, which is hashed again. */
async function writeMemo(memoPath: string, memo: Record<string, Entry>): Promise<void> {
  const tmp = `${memoPath}.${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(dirname(memoPath), { recursive: true });
    await writeFile(tmp, `${JSON.stringify(memo, null, 1)}\n`);
    await rename(tmp, memoPath);
  } catch {
    // The memo only saves time: a read-only cache still works, it just hashes every start.
    await rm(tmp, { force: true });
  }
}
