import type { ServerConfig } from '../config';
import { HttpError } from '../errors';
import type { ModelEntry } from './entry';
import type { ModelRegistry } from './registry';

/**
 * Model names that Cohere, Jina, Together and Voyage clients hard-code. With several models they
 * select the default model unless a model lists one of them in its `aliases`.
 */
export const BUILT_IN_ALIASES: readonly string[] = [
  'rerank-v3.5',
  'rerank-english-v3.0',
  'rerank-multilingual-v3.0',
  'rerank-english-v2.0',
  'rerank-multilingual-v2.0',
  'jina-reranker-v2-base-multilingual',
  'jina-reranker-v1-base-en',
  'jina-reranker-v1-turbo-en',
  'jina-reranker-m0',
  'Salesforce/Llama-Rank-v1',
  'rerank-2',
  'rerank-2-lite',
];

/**
 * Which model a request's `model` field names. Only string comparison, case-insensitive: a request can
 * never make the server load a model that is not configured, or touch a path. A model's names are its
 * name, its aliases and, for a hub model, the hub id and its last part. RERANKER_MODEL_ALIASES (and,
 * with several models, `BUILT_IN_ALIASES`) select the default model. Unknown names are answered by the
 * default model (clients migrating from Cohere keep their `model` strings) unless STRICT_MODEL_NAMES
 * is set, then they get 404 listing the served names.
 */
export class ModelNames {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly config: Pick<ServerConfig, 'modelAliases' | 'strictModelNames'>,
  ) {}

  /** Every name that selects some model. */
  known(): string[] {
    return [...new Set([...this.registry.entries.flatMap((e) => e.names()), ...this.#defaultAliases()])];
  }

  /** The model `name` selects by its name or its own names, never by fallback. */
  find(name: string): ModelEntry | undefined {
    const wanted = name.trim().toLowerCase();
    return (
      this.registry.find(wanted) ??
      this.registry.entries.find((e) => e.names().some((n) => n.toLowerCase() === wanted)) ??
      (this.#defaultAliases().some((n) => n.toLowerCase() === wanted)
        ? this.registry.defaultEntry
        : undefined)
    );
  }

  /** The model that answers `requested`, or a 404 in strict mode. */
  resolve(requested: string | undefined): ModelEntry {
    const fallback = this.registry.defaultEntry;
    if (requested === undefined || requested.trim() === '') return fallback;
    // A model's own name first, then its other names, so an alias can never shadow a name.
    const entry = this.find(requested);
    if (entry) return entry;
    if (this.config.strictModelNames) {
      const served = this.registry.multi
        ? this.registry.entries.map((e) => e.name).join(', ')
        : this.known().join(', ');
      throw new HttpError(
        404,
        'MODEL_NOT_FOUND',
        `Model "${requested}" is not served here; use one of: ${served} (or omit "model").`,
        { field: 'model' },
      );
    }
    return fallback;
  }

  #defaultAliases(): readonly string[] {
    return this.registry.multi
      ? [...this.config.modelAliases, ...BUILT_IN_ALIASES]
      : this.config.modelAliases;
  }
}
