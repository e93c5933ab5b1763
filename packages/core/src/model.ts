/** The precision of the model file a backend runs. */
export type Dtype = 'fp32' | 'fp16' | 'q8';

export const DTYPES: readonly Dtype[] = ['fp32', 'fp16', 'q8'];

/** The ONNX file of each dtype, as Hugging Face's ONNX exports name them. */
export const ONNX_FILE_BY_DTYPE: Record<Dtype, string> = {
  fp32: 'onnx/model.onnx',
  fp16: 'onnx/model_fp16.onnx',
  q8: 'onnx/model_quantized.onnx',
};

/**
 * A model folder in the Hugging Face layout, however the runtime reaches it. Node resolves hub ids to
 * a cache folder and reads files from disk; a browser reads them over HTTP.
 */
export interface ModelFiles {
  /** The model id as the user named it (`Xenova/ms-marco-MiniLM-L-6-v2`) or the folder path. */
  id: string;
  /** Where it came from: `remote:<id>` or `local:<path>`. */
  source: string;
  /** Hub revision (branch, tag or commit); `local` for folders. */
  revision: string;
  /**
   * What was loaded, as content: a hash of the weights, config and tokenizer files (hex). Pair cache
   * keys include it, so a shared cache never serves one model's scores for another that took its place
   * at the same id or path. `@reranker/node` always sets it; when it is missing, core hashes the JSON
   * files it reads itself (config and tokenizer), which does not see a change of weights alone.
   */
  fingerprint?: string;
  /** The hub commit the files were downloaded at, when the hub said (shown by `info()`). */
  commit?: string;
  /** Reads a file of the folder, such as `config.json` or `onnx/model.onnx`. */
  read(path: string): Promise<Uint8Array>;
  /** The folder on disk, where there is one: lets Node worker threads open large files themselves. */
  localDir?: string;
  /**
   * Files of the model kept outside `localDir`, by folder-relative name (`onnx/model.onnx` ->
   * absolute path): a graph built from the safetensors at load lives in the model cache, not in the
   * user's folder. `read` serves them too.
   */
  localFiles?: Readonly<Record<string, string>>;
}

/** The `config.json` keys the engine reads. */
export interface ModelConfig {
  model_type: string;
  num_labels?: number;
  id2label?: Record<string, string>;
  max_position_embeddings?: number;
  pad_token_id?: number;
  [key: string]: unknown;
}

/** Number of output labels of a sequence classifier (`id2label` wins over `num_labels`, as in transformers). */
export function labelCount(config: ModelConfig): number {
  if (config.id2label) return Object.keys(config.id2label).length;
  return config.num_labels ?? 1;
}
