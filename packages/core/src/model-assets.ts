import { errorMessage, RerankerError } from './errors';
import { hex } from './hex';
import type { Logger } from './logger';
import { labelCount, type ModelConfig, type ModelFiles } from './model';

/** The JSON files of a model folder that the engine itself reads (the backend reads the weights). */
export interface ModelAssets {
  config: ModelConfig;
  tokenizerJson: unknown;
  tokenizerConfig: Record<string, unknown>;
  numLabels: number;
  /** Longest sequence the model's position table allows. */
  modelMaxLength: number;
  /** `model.fingerprint`, or a hash of the JSON files read here when the model has none (see `ModelFiles`). */
  fingerprint: string;
}

interface JsonFile {
  value: unknown;
  bytes: Uint8Array | undefined;
}

async function readJson(model: ModelFiles, path: string, required: boolean): Promise<JsonFile> {
  let bytes: Uint8Array;
  try {
    bytes = await model.read(path);
  } catch (error) {
    if (!required) return { value: undefined, bytes: undefined };
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `Could not read ${path} of ${model.source}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  try {
    return { value: JSON.parse(new TextDecoder().decode(bytes)), bytes };
  } catch (error) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `${path} of ${model.source} is not valid JSON: ${errorMessage(error)}`,
    );
  }
}

export async function loadModelAssets(model: ModelFiles): Promise<ModelAssets> {
  const configFile = await readJson(model, 'config.json', true);
  const config = configFile.value as ModelConfig;
  if (!config || typeof config.model_type !== 'string') {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `config.json of ${model.source} has no model_type: is it a Hugging Face model folder?`,
    );
  }
  const tokenizerFile = await readJson(model, 'tokenizer.json', true);
  const tokenizerConfigFile = await readJson(model, 'tokenizer_config.json', false);
  const tokenizerJson = tokenizerFile.value;
  const tokenizerConfig = (tokenizerConfigFile.value ?? {}) as Record<string, unknown>;
  const numLabels = labelCount(config);
  if (numLabels !== 1 && numLabels !== 2) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `${model.id} has ${numLabels} labels; a cross-encoder reranker has 1 (relevance logit) or 2 (not relevant, relevant).`,
    );
  }
  // XLM-R numbers positions from padding_idx + 1, so two rows of its table are never used for tokens.
  const positions = config.max_position_embeddings ?? 512;
  const usable =
    config.model_type === 'xlm-roberta' || config.model_type === 'roberta' ? positions - 2 : positions;
  const declared =
    typeof tokenizerConfig.model_max_length === 'number' ? tokenizerConfig.model_max_length : usable;
  const fingerprint =
    model.fingerprint ??
    (await hashFiles([configFile.bytes, tokenizerFile.bytes, tokenizerConfigFile.bytes]));
  return {
    config,
    tokenizerJson,
    tokenizerConfig,
    numLabels,
    modelMaxLength: Math.min(usable, declared),
    fingerprint,
  };
}

/**
 * SHA-256 (hex) over the files, each preceded by its length (an absent file by -1), so no two
 * different sets of files share bytes. `unhashed` where Web Crypto is missing: the cache cannot run
 * there anyway (its keys need the same hash), so nothing relies on this value.
 */
async function hashFiles(files: readonly (Uint8Array | undefined)[]): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) return 'unhashed';
  const parts = files.flatMap((bytes) => [
    new TextEncoder().encode(`${bytes?.length ?? -1}:`),
    bytes ?? new Uint8Array(0),
  ]);
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return hex(await subtle.digest('SHA-256', joined));
}

/** The requested max length, clamped to what the model can take (with a warning, not an error). */
export function effectiveMaxLength(requested: number, assets: ModelAssets, logger: Logger): number {
  if (requested <= assets.modelMaxLength) return requested;
  logger.warn(
    { requested, modelMaxLength: assets.modelMaxLength },
    `maxLength ${requested} exceeds the model's ${assets.modelMaxLength} positions; using ${assets.modelMaxLength}`,
  );
  return assets.modelMaxLength;
}
