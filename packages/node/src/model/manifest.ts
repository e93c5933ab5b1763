import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The file in each cached model folder that records which files arrived whole. */
export const MANIFEST_FILE = '.reranker-manifest.json';

/**
 * What a cached folder holds. A file counts only once it is listed here with its size, so a file left
 * by anything else (an interrupted older version, a user's copy) is never taken as a complete download.
 */
export interface Manifest {
  version: 1;
  id: string;
  revision: string;
  /** Complete files: size in bytes, SHA-256 (hex; added to entries of older manifests once) and hub commit. */
  files: Record<string, ManifestFile>;
  /** Optional files the hub answered 404 for: not asked for again. */
  absent: string[];
}

export interface ManifestFile {
  size: number;
  downloadedAt: string;
  sha256?: string;
  /** `X-Repo-Commit` of the download, when the hub sent it. */
  commit?: string;
}

export function emptyManifest(id: string, revision: string): Manifest {
  return { version: 1, id, revision, files: {}, absent: [] };
}

/** The folder's manifest; an empty one when it is missing or unreadable (everything is fetched again). */
export async function readManifest(dir: string, id: string, revision: string): Promise<Manifest> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as Partial<Manifest>;
    if (
      parsed.version === 1 &&
      parsed.files &&
      typeof parsed.files === 'object' &&
      Array.isArray(parsed.absent)
    ) {
      return { ...emptyManifest(id, revision), files: parsed.files, absent: parsed.absent };
    }
  } catch {
    // Missing or corrupt: treat as empty.
  }
  return emptyManifest(id, revision);
}

/** Writes the manifest atomically (temp file + rename), so readers never see half of it. */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const path = join(dir, MANIFEST_FILE);
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/** Whether `file` is recorded as complete and still has the recorded size on disk. */
export async function isComplete(dir: string, manifest: Manifest, file: string): Promise<boolean> {
  const entry = manifest.files[file];
  if (!entry) return false;
  try {
    const info = await stat(join(dir, file));
    return info.isFile() && info.size === entry.size;
  } catch {
    return false;
  }
}
