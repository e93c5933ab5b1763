import { errorMessage, RerankerError } from './errors';
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
}

async function readJson(model: ModelFiles, path: string, required: boolean): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await model.read(path);
  } catch (error) {
    if (!required) return undefined;
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `Could not read ${path} of ${model.source}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `${path} of ${model.source} is not valid JSON: ${errorMessage(error)}`,
    );
  }
}

export async function loadModelAssets(model: ModelFiles): Promise<ModelAssets> {
  const config = (await readJson(model, 'config.json', true)) as ModelConfig;
  if (!config || typeof config.model_type !== 'string') {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `config.json of ${model.source} has no model_type: is it a Hugging Face model folder?`,
    );
  }
  const tokenizerJson = await readJson(model, 'tokenizer.json', true);
  const tokenizerConfig = ((await readJson(model, 'tokenizer_config.json', false)) ?? {}) as Record<
    string,
    unknown
  >;
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
  return { config, tokenizerJson, tokenizerConfig, numLabels, modelMaxLength: Math.min(usable, declared) };
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
