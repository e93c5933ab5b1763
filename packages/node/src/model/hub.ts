/**
 * Hub downloads into the reranker's own cache.
 *
 * Why not @huggingface/transformers' hub code: v4.3.1 exports only `ModelRegistry` and `env` from its
 * package root (`getModelFile`/`getModelJSON` are internal), and what it has does not fit: the token
 * is read from `process.env.HF_TOKEN` and sent only to huggingface.co (not to an HF_ENDPOINT mirror),
 * the cache folder and hosts are process-global `env` fields that concurrent loads would fight over,
 * its file cache keeps no record of completeness, and there is no offline switch per call. Plain
 * `fetch` against the hub's URL layout (`<endpoint>/<id>/resolve/<revision>/<file>`) is short.
 */
import { join } from 'node:path';
import { type Dtype, errorMessage, type Logger, ONNX_FILE_BY_DTYPE } from '@reranker/core';
import { downloadFile, type HubFailureDetails, hubFailure } from './download';
import { combineHashes, hashFile } from './fingerprint';
import { isComplete, type Manifest, readManifest, writeManifest } from './manifest';
import type { ProgressReporter } from './progress';

export interface HubModelRequest {
  owner: string;
  name: string;
  revision: string;
  dtype: Dtype;
  cacheDir: string;
  endpoint: string;
  token?: string;
  offline: boolean;
  logger: Logger;
  progress: ProgressReporter;
  signal?: AbortSignal;
  stallTimeoutMs: number;
  /** More files fetched when the repo has them (404 is fine), e.g. `model.safetensors` for the Python backend. */
  extraFiles?: readonly string[];
}

/** Files a cross-encoder needs, and those it can do without (404 is fine). */
export function hubFiles(
  dtype: Dtype,
  extraFiles: readonly string[] = [],
): { required: string[]; optional: string[] } {
  const onnx = ONNX_FILE_BY_DTYPE[dtype];
  return {
    required: ['config.json', 'tokenizer.json', onnx],
    // Models over 2 GB keep their weights in `<file>_data` next to the graph.
    optional: ['tokenizer_config.json', 'special_tokens_map.json', `${onnx}_data`, ...extraFiles],
  };
}

/** Every file of `hubFiles` by name: what a model's fingerprint covers, wherever the folder came from. */
export function modelFileNames(dtype: Dtype, extraFiles: readonly string[] = []): string[] {
  const { required, optional } = hubFiles(dtype, extraFiles);
  return [...required, ...optional];
}

/** `<cacheDir>/models/<owner>/<name>/<revision>`; the revision is URL-encoded (`refs/pr/1` has slashes). */
export function hubCacheFolder(cacheDir: string, owner: string, name: string, revision: string): string {
  return join(cacheDir, 'models', owner, name, encodeURIComponent(revision));
}

/** A cached hub model, ready to load. */
export interface HubFolder {
  dir: string;
  /** Hash of the complete files' SHA-256s (see `combineHashes`), from the manifest. */
  fingerprint: string;
  /** The commit every file came from, when known and the same for all. */
  commit?: string;
}

// One download per folder at a time in this process: two rerankers starting together share it.
const inFlight = new Map<string, Promise<HubFolder>>();

/**
 * Makes sure the model's files are in the cache and returns the folder with its fingerprint. Files
 * already recorded as complete are not requested again, so a warm start makes no HTTP request at all,
 * and their hashes come from the manifest, so it reads no file whole either.
 */
export async function ensureHubModel(request: HubModelRequest): Promise<HubFolder> {
  const dir = hubCacheFolder(request.cacheDir, request.owner, request.name, request.revision);
  const previous = inFlight.get(dir) ?? Promise.resolve(undefined);
  const current = previous
    .catch(() => undefined)
    .then(() => fillFolder(dir, request))
    .then(() => fingerprintFolder(dir, request));
  inFlight.set(dir, current);
  try {
    return await current;
  } finally {
    if (inFlight.get(dir) === current) inFlight.delete(dir);
  }
}

async function fillFolder(dir: string, request: HubModelRequest): Promise<string> {
  const id = `${request.owner}/${request.name}`;
  const manifest = await readManifest(dir, id, request.revision);
  const { required, optional } = hubFiles(request.dtype, request.extraFiles);
  const missing: string[] = [];
  for (const file of [...required, ...optional]) {
    const known = (await isComplete(dir, manifest, file)) || manifest.absent.includes(file);
    if (!known) missing.push(file);
  }
  if (missing.length === 0) {
    request.logger.debug({ model: id, dir }, 'model files found in the cache');
    return dir;
  }
  const missingRequired = missing.filter((file) => required.includes(file));
  if (request.offline) {
    if (missingRequired.length === 0) return dir; // Only optional files are unknown: fine offline.
    const verb = missingRequired.length === 1 ? 'is' : 'are';
    const what = `${missingRequired.join(', ')} ${verb} not in the cache at ${dir}`;
    throw hubFailure(`offline mode is on (the hub is not contacted) and ${what}`, {
      reason: 'offline',
      file: missingRequired[0]!,
      missing: missingRequired,
    });
  }
  request.logger.info(
    { model: id, revision: request.revision, files: missing, dir },
    `downloading ${id} (revision ${request.revision}, ${request.dtype}) from ${request.endpoint} into ${dir}`,
  );
  for (const file of missing) await fetchInto(dir, file, optional.includes(file), manifest, request);
  return dir;
}

async function fetchInto(
  dir: string,
  file: string,
  optional: boolean,
  manifest: Manifest,
  request: HubModelRequest,
): Promise<void> {
  const id = `${request.owner}/${request.name}`;
  const url = `${request.endpoint}/${id}/resolve/${encodeURIComponent(request.revision)}/${file}`;
  try {
    const { size, sha256, commit } = await downloadFile({
      url,
      dest: join(dir, file),
      file,
      token: request.token,
      progress: request.progress,
      signal: request.signal,
      stallTimeoutMs: request.stallTimeoutMs,
    });
    manifest.files[file] = {
      size,
      downloadedAt: new Date().toISOString(),
      sha256,
      ...(commit && { commit }),
    };
    manifest.absent = manifest.absent.filter((name) => name !== file);
  } catch (error) {
    const details = (error as { details?: HubFailureDetails }).details;
    if (!optional || details?.reason !== 'not-found') throw error;
    manifest.absent.push(file);
  }
  // Written after every file, so what arrived before a failure is not fetched again.
  await writeManifest(dir, manifest);
}

/**
 * The fingerprint of the folder's complete files. Hashes come from the manifest; a file recorded by an
 * older version without one is hashed once (streamed) and the manifest rewritten, so the next start
 * is fast. The commit is the hub's for every file that recorded one; files from two commits (a branch
 * that moved between an interrupted download and its resumption) get a warning and no commit.
 */
async function fingerprintFolder(dir: string, request: HubModelRequest): Promise<HubFolder> {
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
