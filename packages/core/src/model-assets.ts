import { errorMessage, RerankerError } from './errors';
import { hex } from './hex';
import { type DetectKindOptions, detectModelKind } from './kinds/detect';
import type { ModelKind } from './kinds/kind';
import type { Logger } from './logger';
import type { ModelConfig, ModelFiles } from './model';

/** The JSON files of a model folder that the engine itself reads (the backend reads the weights). */
export interface ModelAssets {
  config: ModelConfig;
  tokenizerJson: unknown;
  tokenizerConfig: Record<string, unknown>;
  /** What kind of reranker the config describes (cross-encoder, decoder yes/no, decoder seq-cls). */
  kind: ModelKind;
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

/** Reads the model's JSON files and detects its kind (`template` and `instruction` go to decoder kinds). */
export async function loadModelAssets(
  model: ModelFiles,
  kindOptions: Omit<DetectKindOptions, 'source'> = {},
): Promise<ModelAssets> {
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
  const kind = detectModelKind(config, { ...kindOptions, source: model.id });
  const files = { config, tokenizerJson: tokenizerJson as Record<string, unknown>, tokenizerConfig };
  const fingerprint =
    model.fingerprint ??
    (await hashFiles([configFile.bytes, tokenizerFile.bytes, tokenizerConfigFile.bytes]));
  return {
    config,
    tokenizerJson,
    tokenizerConfig,
    kind,
    numLabels: kind.numLabels,
    modelMaxLength: kind.modelMaxLength(files),
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
