import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  DTYPES,
  type Dtype,
  errorMessage,
  type Logger,
  type ModelFiles,
  ONNX_FILE_BY_DTYPE,
  RerankerError,
  silentLogger,
} from '@reranker/core';
import { type Checkpoint, findCheckpoint, PYTORCH_FIX } from '@reranker/onnx-builder';
import { defaultCacheDir } from '../config/cache-dir';
import { expandPath } from '../config/kinds';
import { ensureBuiltGraph } from './build-graph';
import { combineHashes, hashLocalFile, hashMemoDir, modelFileNames } from './fingerprint';
import { createProgressReporter, type ProgressReporter } from './progress';

/** Paths the user clearly meant as folders: absolute, `./`, `../`, `~`, `C:\`. */
function looksLikePath(model: string): boolean {
  return (
    isAbsolute(model) ||
    /^\.{1,2}([\\/]|$)/.test(model) ||
    /^~([\\/]|$)/.test(model) ||
    /^[A-Za-z]:[\\/]/.test(model)
  );
}

/**
 * The absolute folder `model` names when it is written as a path (absolute, `./`, `../`, `~`), or
 * `undefined` for anything else, which is then a hub id. A bare `owner/name` stays a hub id even if
 * such a folder exists here: what loads must not depend on the working directory.
 */
export async function findLocalFolder(model: string): Promise<string | undefined> {
  if (!looksLikePath(model)) return undefined;
  const dir = expandPath(model);
  const info = await stat(dir).catch(() => undefined);
  if (info?.isDirectory()) return dir;
  const what = info ? 'is a file, not a folder' : 'does not exist';
  throw new RerankerError(
    'INVALID_CONFIG',
    `model "${model}" looks like a folder path but ${dir} ${what}: point RERANKER_MODEL at the folder that ` +
      'holds config.json, tokenizer.json and onnx/, or use a hub id such as Xenova/ms-marco-MiniLM-L-6-v2.',
    { details: { model, path: dir } },
  );
}

/** Whether a bare hub id also names a folder here (worth a warning: `./` would load it). */
export async function isAlsoFolder(model: string): Promise<boolean> {
  return (await stat(model).catch(() => undefined))?.isDirectory() ?? false;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

async function listFolder(dir: string): Promise<string[]> {
  const top = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const names: string[] = [];
  for (const entry of top) {
    if (entry.isDirectory() && entry.name === 'onnx') {
      const inner = await readdir(join(dir, 'onnx')).catch(() => []);
      names.push(...inner.map((name) => `onnx/${name}`));
    } else {
      names.push(entry.isDirectory() ? `${entry.name}/` : entry.name);
    }
  }
  return names.sort();
}

/** How a model folder is opened: where hashes are remembered, and how a missing graph is built. */
export interface LocalModelOptions {
  /**
   * Build a missing ONNX graph from `model.safetensors` (or its shards). Off when no backend needs
   * the graph (the Python backend reads the safetensors itself). @default true
   */
  build?: boolean;
  /**
   * Build the graph from the checkpoint even when the folder has the dtype's ONNX file (used only
   * when there is no safetensors checkpoint). @default false
   */
  preferBuild?: boolean;
  /** Where built graphs (`graphs/`) and file hashes (`file-hashes/`) are kept. @default defaultCacheDir() */
  cacheDir?: string;
  /** More files a backend reads, fingerprinted when present (e.g. `model.safetensors`). @default [] */
  extraFiles?: readonly string[];
  /** Where the build's start and end, and a memo that cannot be written, are logged. @default silentLogger */
  logger?: Logger;
  /** Build progress. @default none */
  progress?: ProgressReporter;
  /** Always write external data (tests); by default only past ~2 GB. */
  externalData?: boolean;
}

/** What a folder's `ModelFiles` say of where it came from; hub folders know their fingerprint already. */
interface FolderMeta {
  id: string;
  source: string;
  revision: string;
  fingerprint?: string;
  commit?: string;
}

/**
 * Opens a model folder after checking it holds what a backend needs: `config.json`, `tokenizer.json`
 * and the dtype's ONNX file, or a safetensors checkpoint to build that file from (built once into
 * the model cache, never into the folder). `id` is how the user named it. Its `fingerprint` hashes the
 * files the engine and backends read (see `modelFileNames`); each file's hash is remembered under the
 * cache dir, so a restart rehashes only files that changed (see `hashLocalFile`).
 */
export async function openLocalModel(
  dir: string,
  dtype: Dtype,
  id: string = dir,
  options: LocalModelOptions = {},
): Promise<ModelFiles> {
  return openModelFolder(dir, dtype, { id, source: `local:${dir}`, revision: 'local' }, options);
}

/** `openLocalModel` for any folder (a local one, or a hub download in the cache). */
export async function openModelFolder(
  dir: string,
  dtype: Dtype,
  meta: FolderMeta,
  options: LocalModelOptions,
): Promise<ModelFiles> {
  const onnx = ONNX_FILE_BY_DTYPE[dtype];
  const missing: string[] = [];
  for (const file of ['config.json', 'tokenizer.json'])
    if (!(await isFile(join(dir, file)))) missing.push(file);
  const preferBuild = (options.preferBuild ?? false) && options.build !== false;
  const hasGraph = await isFile(join(dir, onnx));
  const checkpoint = hasGraph && !preferBuild ? undefined : await checkpointOf(dir);
  const buildable = checkpoint?.format === 'safetensors';
  if (!hasGraph && !buildable) missing.push(onnx);
  if (missing.length > 0) throw await missingFiles(dir, dtype, missing, checkpoint);
  const cacheDir = expandPath(options.cacheDir ?? defaultCacheDir());
  const logger = options.logger ?? silentLogger;
  const files = meta.fingerprint ?? combineHashes(await hashFolder(dir, dtype, cacheDir, options, logger));
  if (!buildable || options.build === false || (hasGraph && !preferBuild))
    return folderModelFiles(dir, { ...meta, fingerprint: files });
  const built = await ensureBuiltGraph({
    dir,
    checkpoint,
    dtype,
    cacheDir,
    label: meta.id,
    logger,
    progress: options.progress ?? createProgressReporter('none', silentLogger),
    externalData: options.externalData,
  });
  // The built graph is not in the folder: its own fingerprint (weights, builder version) stands in.
  const fingerprint = combineHashes({ files, 'built-graph': built.fingerprint });
  return folderModelFiles(dir, { ...meta, fingerprint }, built.files);
}

/** The SHA-256 of each file of `modelFileNames` the folder has, remembered under the cache dir. */
async function hashFolder(
  dir: string,
  dtype: Dtype,
  cacheDir: string,
  options: LocalModelOptions,
  logger: Logger,
): Promise<Record<string, string>> {
  const memoDir = hashMemoDir(cacheDir);
  const hashes: Record<string, string> = {};
  for (const file of modelFileNames(dtype, options.extraFiles)) {
    if (!(await isFile(join(dir, file)))) continue;
    try {
      hashes[file] = await hashLocalFile(join(dir, file), memoDir, logger);
    } catch (error) {
      throw new RerankerError('MODEL_LOAD_FAILED', `Cannot read ${file} from the model folder ${dir}.`, {
        cause: error,
        details: { path: file, dir },
      });
    }
  }
  return hashes;
}

async function checkpointOf(dir: string): Promise<Checkpoint | undefined> {
  try {
    return await findCheckpoint(dir);
  } catch (error) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `The model folder ${dir} has a broken checkpoint: ${errorMessage(error)}.`,
      { cause: error, details: { dir } },
    );
  }
}

async function missingFiles(
  dir: string,
  dtype: Dtype,
  missing: string[],
  checkpoint: Checkpoint | undefined,
): Promise<RerankerError> {
  const onnx = ONNX_FILE_BY_DTYPE[dtype];
  const present = await listFolder(dir);
  const details = { dir, missing, present, dtype };
  if (missing.includes(onnx) && checkpoint?.format === 'pytorch') {
    return new RerankerError(
      'MODEL_LOAD_FAILED',
      `The model folder ${dir} has no ${onnx} and only a pickled PyTorch checkpoint (${checkpoint.files.join(', ')}), which is never loaded (unpickling runs arbitrary code): ${PYTORCH_FIX}. An ONNX file is then built from model.safetensors at load.`,
      { details: { ...details, checkpoint: checkpoint.files } },
    );
  }
  const otherDtypes = DTYPES.filter((d) => d !== dtype && present.includes(ONNX_FILE_BY_DTYPE[d]));
  const dtypeHint =
    missing.includes(onnx) && otherDtypes.length > 0
      ? ` It has the ONNX file for ${otherDtypes.join(', ')}: set RERANKER_DTYPE=${otherDtypes[0]} to use it.`
      : '';
  return new RerankerError(
    'MODEL_LOAD_FAILED',
    `The model folder ${dir} is missing ${missing.join(', ')} (it holds: ${present.join(', ') || 'nothing'}). ` +
      `A model folder needs config.json, tokenizer.json and ${onnx} for dtype ${dtype} (or model.safetensors to build it from).${dtypeHint}`,
    { details },
  );
}

/**
 * `ModelFiles` over a folder on disk; `read` refuses paths that leave the folder. `localFiles` are
 * files kept elsewhere (a built graph in the cache), served under their folder-relative names.
 */
export function folderModelFiles(
  dir: string,
  meta: Pick<ModelFiles, 'id' | 'source' | 'revision' | 'fingerprint' | 'commit'>,
  localFiles?: Record<string, string>,
): ModelFiles {
  return {
    ...meta,
    localDir: dir,
    ...(localFiles ? { localFiles } : {}),
    async read(path: string): Promise<Uint8Array> {
      const elsewhere = localFiles?.[path.replaceAll('\\', '/')];
      const full = elsewhere ?? resolve(dir, path);
      const rel = relative(dir, full);
      if (!elsewhere && (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel))) {
        throw new RerankerError(
          'INVALID_INPUT',
          `Cannot read "${path}": it is outside the model folder ${dir}.`,
        );
      }
      try {
        return new Uint8Array(await readFile(full));
      } catch (error) {
        throw new RerankerError('MODEL_LOAD_FAILED', `Cannot read ${path} from the model folder ${dir}.`, {
          cause: error,
          details: { path, dir },
        });
      }
    },
  };
}
