import { type Dtype, errorMessage, type Logger, type ModelFiles, RerankerError } from '@reranker/core';
import { expandPath } from '../config/kinds';
import { ensureHubModel } from './hub';
import type { HubModel } from './hub-fingerprint';
import { checkRevision, parseHubId } from './hub-id';
import {
  findLocalFolder,
  isAlsoFolder,
  type LocalModelOptions,
  openLocalModel,
  openModelFolder,
} from './local';
import { explainCacheFailure, explainHubFailure, type HubProblem, LOCAL_HINT } from './messages';
import { createProgressReporter, type ProgressMode } from './progress';

export interface ResolveModelOptions {
  /** Hub id (`owner/name`) or a folder path (absolute, `./relative` or `~/...`). */
  model: string;
  /** Hub branch, tag or commit. @default 'main' */
  revision?: string;
  /** Folder used when the hub download fails (offline, unreachable, refused, not found). */
  localModelPath?: string;
  /** Where hub downloads are kept (see `loadConfig`'s `cacheDir`). */
  cacheDir: string;
  /** Which ONNX file to fetch and require (`ONNX_FILE_BY_DTYPE`). */
  dtype: Dtype;
  /** The hub or a mirror. @default 'https://huggingface.co' */
  hubEndpoint?: string;
  /** Access token sent as `Authorization: Bearer` to `hubEndpoint`, for private or gated models. */
  hubToken?: string;
  /** Use only cached files and local folders, never the network. @default false */
  offline?: boolean;
  logger: Logger;
  /** Download progress: terminal bar, log lines, nothing, or `auto` (bar on a TTY, else log). @default 'auto' */
  progress?: ProgressMode;
  /** Cancels a download in progress (rejects with `ABORTED`). */
  signal?: AbortSignal;
  /**
   * More files to fetch from the hub when the repo has them (a 404 is fine), e.g. `model.safetensors`
   * for the Python/MLX backend. @default []
   */
  extraFiles?: readonly string[];
  /** Give up on a download when no data arrives for this long, in ms. @default 60000 */
  stallTimeoutMs?: number;
  /**
   * When the folder or repo has no ONNX file for `dtype` but has `model.safetensors` (or shards),
   * build the graph into `<cacheDir>/graphs/` (once; later loads reuse it). Turn off when no backend
   * reads ONNX (the Python backend reads the safetensors itself). @default true
   */
  buildGraph?: boolean;
  /**
   * With both an ONNX export and a safetensors checkpoint, build the graph from the checkpoint instead
   * of loading the export (a hub repo's export is then not downloaded). @default false
   */
  preferBuiltGraph?: boolean;
}

/**
 * Finds the model's files: a local folder as is, or a hub id downloaded into `cacheDir` (once; later
 * calls use the cache without any request). When the hub fails and `localModelPath` is set, that
 * folder is used instead, with a warning.
 */
export async function resolveModel(options: ResolveModelOptions): Promise<ModelFiles> {
  const { model, dtype, logger } = options;
  const progress = createProgressReporter(options.progress ?? 'auto', logger);
  const cacheDir = expandPath(options.cacheDir);
  const local: LocalModelOptions = {
    build: options.buildGraph ?? true,
    preferBuild: options.preferBuiltGraph ?? false,
    cacheDir,
    extraFiles: options.extraFiles,
    logger,
    progress,
  };
  const localDir = await findLocalFolder(model);
  if (localDir) return openLocalModel(localDir, dtype, model, local);

  const { owner, name, id } = parseHubId(model);
  if (await isAlsoFolder(model)) {
    logger.warn(
      { model },
      `"${model}" is read as a hub id although a folder of that name exists here: write ./${model} to load the folder`,
    );
  }
  const revision = options.revision ?? 'main';
  checkRevision(revision);
  const endpoint = (options.hubEndpoint ?? 'https://huggingface.co').replace(/\/+$/, '');
  let hub: HubModel;
  try {
    hub = await ensureHubModel({
      owner,
      name,
      revision,
      dtype,
      cacheDir,
      endpoint,
      token: options.hubToken,
      offline: options.offline ?? false,
      logger,
      progress,
      signal: options.signal,
      stallTimeoutMs: options.stallTimeoutMs ?? 60_000,
      extraFiles: options.extraFiles,
      preferCheckpoint: local.preferBuild && local.build,
    });
  } catch (error) {
    if (error instanceof RerankerError && error.code !== 'MODEL_LOAD_FAILED') throw error;
    const failure =
      error instanceof RerankerError
        ? explainHubFailure(error, { id, revision, dtype, endpoint, token: options.hubToken })
        : explainCacheFailure(error, options.cacheDir);
    if (!options.localModelPath) {
      throw new RerankerError('MODEL_LOAD_FAILED', `${failure.problem}. ${failure.advice} ${LOCAL_HINT}`, {
        cause: error,
        details: failure.details,
      });
    }
    return useFallback(options.localModelPath, dtype, failure, logger, local);
  }
  // Outside the hub's try: a graph that cannot be built is no reason to fall back to another folder.
  const { dir, fingerprint, commit } = hub;
  const meta = { id, source: `remote:${id}`, revision, fingerprint, ...(commit && { commit }) };
  return openModelFolder(dir, dtype, meta, local);
}

async function useFallback(
  path: string,
  dtype: Dtype,
  failure: HubProblem,
  logger: Logger,
  local: LocalModelOptions,
): Promise<ModelFiles> {
  const dir = expandPath(path);
  let files: ModelFiles;
  try {
    files = await openLocalModel(dir, dtype, dir, local);
  } catch (error) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `${failure.problem}, and the fallback folder RERANKER_LOCAL_MODEL_PATH=${path} cannot be used either: ${errorMessage(error)}`,
      { cause: error, details: { ...failure.details, localModelPath: dir } },
    );
  }
  logger.warn(
    { localModelPath: dir, reason: failure.problem },
    `using the local model folder ${dir} (RERANKER_LOCAL_MODEL_PATH) because the hub download failed: ${failure.problem}`,
  );
  return files;
}
