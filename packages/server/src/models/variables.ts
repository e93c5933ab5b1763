import { z } from 'zod';
import { int, type ServerVariable, variable } from '../config-kinds';

/**
 * What a model name may be: a plain identifier (letters, digits, `.`, `_`, `-`; a letter or digit
 * first). Never a path or URL, so a request's `model` can only ever pick a configured model.
 */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `name=source` pairs, comma-separated; names are unique identifiers. */
const pairs = z
  .string()
  .transform((raw) =>
    raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  )
  .refine((items) => items.every((item) => /^[^=]+=.+$/.test(item)))
  .transform((items) =>
    items.map((item) => {
      const at = item.indexOf('=');
      return { name: item.slice(0, at).trim(), source: item.slice(at + 1).trim() };
    }),
  )
  .refine((models) => models.every((m) => MODEL_NAME.test(m.name) && m.source.length > 0))
  .refine((models) => new Set(models.map((m) => m.name.toLowerCase())).size === models.length);

/** Unset (empty) is undefined. */
const optionalText = z.string().transform((s) => s || undefined);

const seconds = (max: number) =>
  z
    .string()
    .regex(/^\+?(\d+\.?\d*|\.\d+)$/)
    .transform(Number)
    .pipe(z.number().min(0).max(max))
    .transform((s) => Math.round(s * 1000));

/** The multi-model variables, listed after the other server variables. */
export const MODEL_VARIABLES: readonly ServerVariable[] = [
  variable(
    'RERANKER_MODELS',
    'models',
    '(unset)',
    'comma-separated name=source pairs (names: letters, digits, . _ -)',
    'Serve several models, routed by the request `model`; unset serves RERANKER_MODEL alone.',
    pairs,
  ),
  variable(
    'RERANKER_MODELS_FILE',
    'modelsFile',
    '(unset)',
    'a path to a .json, .yaml or .yml file',
    'Per-model settings (see Several models).',
    optionalText,
  ),
  variable(
    'RERANKER_DEFAULT_MODEL',
    'defaultModel',
    '(unset)',
    'a configured model name',
    'Model for requests without `model` (unset: the first configured).',
    optionalText,
  ),
  variable(
    'MODEL_IDLE_UNLOAD_SECONDS',
    'modelIdleUnloadMs',
    '0',
    'a number of seconds from 0 to 604800',
    'Unload a model (of RERANKER_MODELS) unused this long; 0 never unloads.',
    seconds(604_800),
  ),
  variable(
    'MODEL_MEMORY_BUDGET_MB',
    'modelMemoryBudgetBytes',
    '0',
    'a whole number of MiB from 0 to 16777216',
    'Most model weight MiB resident at once (least recently used idle models are evicted); 0: no bound.',
    int(0, 16_777_216).transform((mb) => mb * 1024 * 1024),
  ),
];
