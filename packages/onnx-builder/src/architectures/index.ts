import type { HfConfig } from '../config';
import { BuildError } from '../errors';
import { bert } from './bert';
import { debertaV2 } from './deberta-v2';
import { modernBert } from './modernbert';
import { qwen } from './qwen';
import type { Architecture } from './types';
import { xlmRoberta } from './xlm-roberta';

/** Every architecture the builder writes; a new one is a module added here. */
const ARCHITECTURES: readonly Architecture[] = [bert, xlmRoberta, debertaV2, modernBert, qwen];

/** The `model_type` values the builder can write a graph for. */
export const SUPPORTED_MODEL_TYPES: readonly string[] = ARCHITECTURES.flatMap((a) => a.modelTypes);

/** The architecture of `config.json`, chosen by `model_type` (never by the model's name). */
export function architectureFor(config: HfConfig): Architecture {
  const modelType = config.model_type;
  const found = ARCHITECTURES.find((a) => typeof modelType === 'string' && a.modelTypes.includes(modelType));
  if (found) return found;
  throw new BuildError(
    'unsupported',
    `config.json: model_type ${JSON.stringify(modelType) ?? 'is missing'}; graphs can be built for ${SUPPORTED_MODEL_TYPES.join(', ')}`,
  );
}
