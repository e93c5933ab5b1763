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
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Dtype, errorMessage, type Logger, ONNX_FILE_BY_DTYPE, RerankerError } from '@reranker/core';
import {
  PYTORCH_FILES,
  parseShardIndex,
  SAFETENSORS_FILE,
  SAFETENSORS_INDEX,
  SUPPORTED_MODEL_TYPES,
  shardFiles,
} from '@reranker/onnx-builder';
import { downloadFile, type HubFailureDetails, hubFailure } from './download';
import { fingerprintHubFolder, type HubModel } from './hub-fingerprint';
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
  /** Fetch the safetensors checkpoint instead of the dtype's export when the repo has both. */
  preferCheckpoint?: boolean;
}

/** `<cacheDir>/models/<owner>/<name>/<revision>`; the revision is URL-encoded (`refs/pr/1` has slashes). */
export function hubCacheFolder(cacheDir: string, owner: string, name: string, revision: string): string {
  return join(cacheDir, 'models', owner, name, encodeURIComponent(revision));
}

// One download per folder at a time in this process: two rerankers starting together share it.
const inFlight = new Map<string, Promise<HubModel>>();

/**
 * Makes sure the model's files are in the cache and returns the folder with its fingerprint. Files
 * already recorded as complete are not requested again, so a warm start makes no HTTP request at all,
 * and their hashes come from the manifest, so it reads no file whole either.
 */
export async function ensureHubModel(request: HubModelRequest): Promise<HubModel> {
  const dir = hubCacheFolder(request.cacheDir, request.owner, request.name, request.revision);
  const previous = inFlight.get(dir) ?? Promise.resolve(undefined);
  const current = previous
    .catch(() => undefined)
    .then(() => fillFolder(dir, request))
    .then(() => fingerprintHubFolder(dir, request));
  inFlight.set(dir, current);
  try {
    return await current;
  } finally {
    if (inFlight.get(dir) === current) inFlight.delete(dir);
  }
}

async function fillFolder(dir: string, request: HubModelRequest): Promise<string> {
  const id = `${request.owner}/${request.name}`;
  const folder = new CacheFolder(dir, await readManifest(dir, id, request.revision), request);
  const onnx = ONNX_FILE_BY_DTYPE[request.dtype];
  await folder.require(['config.json', 'tokenizer.json']);
  for (const file of ['tokenizer_config.json', 'special_tokens_map.json', ...(request.extraFiles ?? [])])
    await folder.optional(file);
  // A graph to be built from the checkpoint (RERANKER_GRAPH=build): the export only without one.
  if (
    request.preferCheckpoint &&
    SUPPORTED_MODEL_TYPES.includes(await modelTypeOf(dir)) &&
    (await fetchCheckpoint(folder, dir))
  )
    return folder.done();
  if ((await folder.optional(onnx)) === 'present') {
    // Models over 2 GB keep their weights in `<file>_data` next to the graph.
    await folder.optional(`${onnx}_data`);
    return folder.done();
  }
  // No export for this dtype: the safetensors checkpoint, to build the graph from. Only for an
  // architecture the builder writes: config.json says so before gigabytes of weights are fetched.
  const modelType = await modelTypeOf(dir);
  if (!SUPPORTED_MODEL_TYPES.includes(modelType)) {
    throw hubFailure(
      `the hub answered HTTP 404 for ${onnx}, and no graph is built for model_type ${modelType}`,
      {
        reason: 'not-found',
        file: onnx,
        checkpoint: 'unsupported',
        modelType,
      },
    );
  }
  if (await fetchCheckpoint(folder, dir)) return folder.done();
  if (request.offline && folder.unknown.length > 0) throw folder.offlineFailure([onnx]);
  const pytorch = await folder.exists(PYTORCH_FILES[0]);
  throw hubFailure(
    `the hub answered HTTP 404 for ${onnx}, and the repo has no ${SAFETENSORS_FILE} to build it from`,
    {
      reason: 'not-found',
      file: onnx,
      checkpoint: pytorch ? 'pytorch' : 'none',
    },
  );
}

/** Fetches `model.safetensors`, or the shard index and every shard it names; false when the repo has neither. */
async function fetchCheckpoint(folder: CacheFolder, dir: string): Promise<boolean> {
  if ((await folder.optional(SAFETENSORS_FILE)) === 'present') return true;
  if ((await folder.optional(SAFETENSORS_INDEX)) !== 'present') return false;
  await folder.require(await shardsOf(dir));
  return true;
}

async function modelTypeOf(dir: string): Promise<string> {
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8').catch(() => '{}')) as {
    model_type?: unknown;
  };
  return String(config.model_type);
}

/** The shard files a downloaded `model.safetensors.index.json` names (plain file names, checked). */
async function shardsOf(dir: string): Promise<string[]> {
  try {
    return shardFiles(parseShardIndex(JSON.parse(await readFile(join(dir, SAFETENSORS_INDEX), 'utf8'))));
  } catch (error) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `The repo's ${SAFETENSORS_INDEX} is not a valid shard index: ${errorMessage(error)}.`,
      { cause: error },
    );
  }
}

/**
 * One cache folder being filled: files recorded as complete (or as absent, for optional ones) are not
 * requested again, so a warm start makes no HTTP request at all.
 */
class CacheFolder {
  /** Files that could not be checked because the hub is not contacted (offline). */
  readonly unknown: string[] = [];
  private announced = false;

  constructor(
    private readonly dir: string,
    private readonly manifest: Manifest,
    private readonly request: HubModelRequest,
  ) {}

  private get id(): string {
    return `${this.request.owner}/${this.request.name}`;
  }

  /** Files the model cannot do without: each is in the cache afterwards, or this throws. */
  async require(files: readonly string[]): Promise<void> {
    const missing: string[] = [];
    for (const file of files) if (!(await isComplete(this.dir, this.manifest, file))) missing.push(file);
    if (missing.length === 0) return;
    if (this.request.offline) throw this.offlineFailure(missing);
    for (const file of missing) await this.fetch(file, false);
  }

  /** A file the repo may lack (a 404 is recorded, and not asked again). */
  async optional(file: string): Promise<'present' | 'absent' | 'unknown'> {
    if (await isComplete(this.dir, this.manifest, file)) return 'present';
    if (this.manifest.absent.includes(file)) return 'absent';
    if (this.request.offline) {
      this.unknown.push(file);
      return 'unknown';
    }
    return (await this.fetch(file, true)) ? 'present' : 'absent';
  }

  /** Whether the repo has `file`, asked with HEAD (for a file we never download). */
  async exists(file: string): Promise<boolean> {
    if (this.request.offline) return false;
    const response = await fetch(this.url(file), {
      method: 'HEAD',
      headers: this.headers(),
      signal: this.request.signal,
    }).catch(() => undefined);
    return response?.ok ?? false;
  }

  done(): string {
    if (!this.announced)
      this.request.logger.debug({ model: this.id, dir: this.dir }, 'model files found in the cache');
    return this.dir;
  }

  offlineFailure(missing: string[]): RerankerError {
    const verb = missing.length === 1 ? 'is' : 'are';
    const what = `${missing.join(', ')} ${verb} not in the cache at ${this.dir}`;
    return hubFailure(`offline mode is on (the hub is not contacted) and ${what}`, {
      reason: 'offline',
      file: missing[0]!,
      missing,
    });
  }

  private url(file: string): string {
    return `${this.request.endpoint}/${this.id}/resolve/${encodeURIComponent(this.request.revision)}/${file}`;
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { 'user-agent': 'reranker (+@reranker/node)' };
    if (this.request.token) headers.authorization = `Bearer ${this.request.token}`;
    return headers;
  }

  /** Downloads `file`; false when it is optional and the hub has no such file. */
  private async fetch(file: string, optional: boolean): Promise<boolean> {
    const { request, manifest } = this;
    if (!this.announced) {
      this.announced = true;
      request.logger.info(
        { model: this.id, revision: request.revision, dir: this.dir },
        `downloading ${this.id} (revision ${request.revision}, ${request.dtype}) from ${request.endpoint} into ${this.dir}`,
      );
    }
    let found = true;
    try {
      const { size, sha256, commit } = await downloadFile({
        url: this.url(file),
        dest: join(this.dir, file),
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
      found = false;
    }
    // Written after every file, so what arrived before a failure is not fetched again.
    await writeManifest(this.dir, manifest);
    return found;
  }
}
