import { BuildError } from './errors';

/** A model's `config.json`, as Hugging Face `transformers` writes it. */
export type HfConfig = Readonly<Record<string, unknown>>;

function invalid(key: string, value: unknown, want: string): BuildError {
  return new BuildError(
    'invalid-checkpoint',
    `config.json: ${key} must be ${want}, got ${JSON.stringify(value) ?? String(value)}`,
  );
}

/** A positive integer from the config; `fallback` (transformers' default) when the key is absent. */
export function positiveInt(config: HfConfig, key: string, fallback?: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    throw invalid(key, config[key], 'a positive integer');
  return value;
}

/** A non-negative integer (token ids). */
export function tokenId(config: HfConfig, key: string, fallback: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw invalid(key, config[key], 'a token id (an integer >= 0)');
  return value;
}

/** A finite positive number (epsilons). */
export function positiveNumber(config: HfConfig, key: string, fallback: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw invalid(key, config[key], 'a positive number');
  return value;
}

/** Requires `key` to be one of `supported` (or absent when its default is); names what is not built yet. */
export function requireOneOf(config: HfConfig, key: string, supported: readonly string[], fallback: string) {
  const value = config[key] ?? fallback;
  if (typeof value !== 'string' || !supported.includes(value)) {
    throw new BuildError(
      'unsupported',
      `config.json: ${key} ${JSON.stringify(value)} is not supported yet (supported: ${supported.join(', ')})`,
    );
  }
}

/**
 * Number of output labels (`id2label` wins over `num_labels`, as in transformers), or undefined when
 * the config names neither: then the classifier weight's shape says.
 */
export function labelCount(config: HfConfig): number | undefined {
  const id2label = config.id2label;
  if (id2label !== undefined) {
    if (typeof id2label !== 'object' || id2label === null || Object.keys(id2label).length === 0)
      throw invalid('id2label', id2label, 'an object with one entry per label');
    return Object.keys(id2label).length;
  }
  return config.num_labels === undefined ? undefined : positiveInt(config, 'num_labels');
}
