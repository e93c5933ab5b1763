import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DTYPES, type Dtype, type ModelFiles, ONNX_FILE_BY_DTYPE, RerankerError } from '@reranker/core';
import { expandPath } from '../config/kinds';

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

/**
 * Opens a model folder after checking it holds what a backend needs: `config.json`, `tokenizer.json`
 * and the dtype's ONNX file. `id` is how the user named it.
 */
export async function openLocalModel(dir: string, dtype: Dtype, id: string = dir): Promise<ModelFiles> {
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
  return folderModelFiles(dir, { id, source: `local:${dir}`, revision: 'local' });
}

/** `ModelFiles` over a folder on disk; `read` refuses paths that leave the folder. */
export function folderModelFiles(
  dir: string,
  meta: { id: string; source: string; revision: string },
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
