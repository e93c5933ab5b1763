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
import { type Dtype, type Logger, ONNX_FILE_BY_DTYPE } from '@reranker/core';
import { downloadFile, type HubFailureDetails, hubFailure } from './download';
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

/** `<cacheDir>/models/<owner>/<name>/<revision>`; the revision is URL-encoded (`refs/pr/1` has slashes). */
export function hubCacheFolder(cacheDir: string, owner: string, name: string, revision: string): string {
  return join(cacheDir, 'models', owner, name, encodeURIComponent(revision));
}

// One download per folder at a time in this process: two rerankers starting together share it.
const inFlight = new Map<string, Promise<string>>();

/**
 * Makes sure the model's files are in the cache and returns the folder. Files already recorded as
 * complete are not requested again, so a warm start makes no HTTP request at all.
 */
export async function ensureHubModel(request: HubModelRequest): Promise<string> {
  const dir = hubCacheFolder(request.cacheDir, request.owner, request.name, request.revision);
  const previous = inFlight.get(dir) ?? Promise.resolve(dir);
  const current = previous.catch(() => dir).then(() => fillFolder(dir, request));
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
    const size = await downloadFile({
      url,
      dest: join(dir, file),
      file,
      token: request.token,
      progress: request.progress,
      signal: request.signal,
      stallTimeoutMs: request.stallTimeoutMs,
    });
    manifest.files[file] = { size, downloadedAt: new Date().toISOString() };
    manifest.absent = manifest.absent.filter((name) => name !== file);
  } catch (error) {
    const details = (error as { details?: HubFailureDetails }).details;
    if (!optional || details?.reason !== 'not-found') throw error;
    manifest.absent.push(file);
  }
  // Written after every file, so what arrived before a failure is not fetched again.
  await writeManifest(dir, manifest);
}
