import { join } from 'node:path';
import { type Dtype, errorMessage, type Logger } from '@reranker/core';
import { combineHashes, hashFile, modelFileNames } from './fingerprint';
import { isComplete, readManifest, writeManifest } from './manifest';

/** A cached hub model, ready to load. */
export interface HubModel {
  dir: string;
  /** Hash of the complete files' SHA-256s (see `combineHashes`), from the manifest. */
  fingerprint: string;
  /** The commit every file came from, when known and the same for all. */
  commit?: string;
}

/** What of a hub request the fingerprint reads (structurally a part of `HubModelRequest`). */
interface FingerprintRequest {
  owner: string;
  name: string;
  revision: string;
  dtype: Dtype;
  logger: Logger;
  extraFiles?: readonly string[];
}

/**
 * The fingerprint of the folder's complete files. Hashes come from the manifest; a file recorded by an
 * older version without one is hashed once (streamed) and the manifest rewritten, so the next start
 * is fast. The commit is the hub's for every file that recorded one; files from two commits (a branch
 * that moved between an interrupted download and its resumption) get a warning and no commit.
 */
export async function fingerprintHubFolder(dir: string, request: FingerprintRequest): Promise<HubModel> {
  const id = `${request.owner}/${request.name}`;
  const manifest = await readManifest(dir, id, request.revision);
  const hashes: Record<string, string> = {};
  let hashed = false;
  for (const file of modelFileNames(request.dtype, request.extraFiles)) {
    const entry = manifest.files[file];
    if (!entry || !(await isComplete(dir, manifest, file))) continue;
    if (entry.sha256 === undefined) {
      entry.sha256 = await hashFile(join(dir, file));
      hashed = true;
    }
    hashes[file] = entry.sha256;
  }
  // A read-only cache (baked into an image by an older version) still loads; it only hashes again.
  if (hashed) {
    await writeManifest(dir, manifest).catch((error: unknown) =>
      request.logger.warn(
        { dir, error: errorMessage(error) },
        `could not record the file hashes in the manifest of ${dir}; they are computed again at every start`,
      ),
    );
  }
  const commits = new Set(
    Object.keys(hashes).flatMap((file) =>
      manifest.files[file]?.commit ? [manifest.files[file].commit] : [],
    ),
  );
  if (/^[0-9a-f]{40}$/.test(request.revision)) commits.add(request.revision);
  if (commits.size > 1) {
    request.logger.warn(
      { model: id, revision: request.revision, commits: [...commits], dir },
      `the cached files of ${id} (revision ${request.revision}) come from different hub commits; delete ${dir} to download them again from one`,
    );
  }
  const [commit] = commits;
  return { dir, fingerprint: combineHashes(hashes), ...(commits.size === 1 && commit && { commit }) };
}
