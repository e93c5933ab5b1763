import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  DTYPES,
  type Dtype,
  type Logger,
  type ModelFiles,
  ONNX_FILE_BY_DTYPE,
  RerankerError,
  silentLogger,
} from '@reranker/core';
import { defaultCacheDir } from '../config/cache-dir';
import { expandPath } from '../config/kinds';
import { combineHashes, hashLocalFile, hashMemoDir } from './fingerprint';
import { modelFileNames } from './hub';

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

export interface LocalModelOptions {
  /** Where file hashes are remembered (`<cacheDir>/file-hashes`). @default the default cache dir */
  cacheDir?: string;
  /** More files a backend reads, fingerprinted when present (e.g. `model.safetensors`). @default [] */
  extraFiles?: readonly string[];
  /** Where a memo that cannot be written is reported. @default silent */
  logger?: Logger;
}

/**
 * Opens a model folder after checking it holds what a backend needs: `config.json`, `tokenizer.json`
 * and the dtype's ONNX file. `id` is how the user named it. Its `fingerprint` hashes the files the
 * engine and backends read (those of `hubFiles` that exist); each file's hash is remembered under
 * `cacheDir`, so a restart rehashes only files that changed (see `hashLocalFile`).
 */
export async function openLocalModel(
  dir: string,
  dtype: Dtype,
  id: string = dir,
  options: LocalModelOptions = {},
): Promise<ModelFiles> {
  const onnx = ONNX_FILE_BY_DTYPE[dtype];
  const required = ['config.json', 'tokenizer.json', onnx];
  const missing: string[] = [];
  for (const file of required) if (!(await isFile(join(dir, file)))) missing.push(file);
  if (missing.length > 0) {
    const present = await listFolder(dir);
    const otherDtypes = DTYPES.filter((d) => d !== dtype && present.includes(ONNX_FILE_BY_DTYPE[d]));
    const dtypeHint =
      missing.includes(onnx) && otherDtypes.length > 0
        ? ` It has the ONNX file for ${otherDtypes.join(', ')}: set RERANKER_DTYPE=${otherDtypes[0]} to use it.`
        : '';
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `The model folder ${dir} is missing ${missing.join(', ')} (it holds: ${present.join(', ') || 'nothing'}). ` +
        `A model folder needs config.json, tokenizer.json and ${onnx} for dtype ${dtype}.${dtypeHint}`,
      { details: { dir, missing, present, dtype } },
    );
  }
  const memoDir = hashMemoDir(expandPath(options.cacheDir ?? defaultCacheDir()));
  const hashes: Record<string, string> = {};
  for (const file of modelFileNames(dtype, options.extraFiles)) {
    if (!(await isFile(join(dir, file)))) continue;
    try {
      hashes[file] = await hashLocalFile(join(dir, file), memoDir, options.logger ?? silentLogger);
    } catch (error) {
      throw new RerankerError('MODEL_LOAD_FAILED', `Cannot read ${file} from the model folder ${dir}.`, {
        cause: error,
        details: { path: file, dir },
      });
    }
  }
  return folderModelFiles(dir, {
    id,
    source: `local:${dir}`,
    revision: 'local',
    fingerprint: combineHashes(hashes),
  });
}

/** `ModelFiles` over a folder on disk; `read` refuses paths that leave the folder. */
export function folderModelFiles(
  dir: string,
  meta: Pick<ModelFiles, 'id' | 'source' | 'revision' | 'fingerprint' | 'commit'>,
): ModelFiles {
  return {
    ...meta,
    localDir: dir,
    async read(path: string): Promise<Uint8Array> {
      const full = resolve(dir, path);
      const rel = relative(dir, full);
      if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
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
