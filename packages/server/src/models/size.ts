import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type Dtype, ONNX_FILE_BY_DTYPE } from '@reranker/core';

/** Where a model's files are, as the engine's backends see them (`ModelFiles` of core). */
export interface ModelFolder {
  localDir?: string;
  localFiles?: Readonly<Record<string, string>>;
}

/**
 * The bytes of weights a loaded model keeps in memory, estimated from its files: the ONNX graph of
 * the dtype in use with its external data, or else the safetensors checkpoint. Runtime memory is
 * close to the weights for these encoders, and file sizes are exact and repeatable, where an RSS delta
 * at load is noise once several models load at once (worker threads, allocator caches). Undefined
 * when the folder has none of those files (then the model counts 0 against the budget).
 */
export function modelBytes(folder: ModelFolder, dtype: Dtype): number | undefined {
  const pathOf = (file: string) =>
    folder.localFiles?.[file] ?? (folder.localDir ? join(folder.localDir, file) : undefined);
  const onnx = fileSize(pathOf(ONNX_FILE_BY_DTYPE[dtype]));
  if (onnx !== undefined) return onnx + (fileSize(`${pathOf(ONNX_FILE_BY_DTYPE[dtype])}_data`) ?? 0);
  return fileSize(pathOf('model.safetensors'));
}

function fileSize(path: string | undefined): number | undefined {
  if (!path) return undefined;
  try {
    const stat = statSync(path);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}
