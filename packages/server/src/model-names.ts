import type { ServerConfig } from './config';
import { HttpError } from './errors';
import type { Service } from './service';

/**
 * Which model a request's `model` field names. Only string comparison: a request can never make the
 * server load a model or touch a path. Known names are the served model's id, its last path segment
 * (`ms-marco-MiniLM-L-6-v2` for `Xenova/ms-marco-MiniLM-L-6-v2`) and RERANKER_MODEL_ALIASES, compared
 * case-insensitively. Unknown names are answered by the served model (clients migrating from Cohere
 * keep their `model` strings) unless STRICT_MODEL_NAMES is set, then they get 404.
 */
export class ModelNames {
  constructor(
    private readonly service: Service,
    private readonly config: Pick<ServerConfig, 'modelAliases' | 'strictModelNames'>,
  ) {}

  /** Every name that selects the served model. */
  known(): string[] {
    const names = new Set<string>();
    const info = this.service.info;
    // A local model's id is a server path: never echo it (modelName is its folder name then).
    const id = info && !info.source.startsWith('local:') ? info.model : undefined;
    for (const name of [this.service.modelName, id, id?.split('/').at(-1), ...this.config.modelAliases]) {
      if (name) names.add(name);
    }
    return [...names];
  }

  /** The name of the model that will answer (always the served one), or a 404 in strict mode. */
  resolve(requested: string | undefined): string {
    const served = this.service.modelName;
    if (requested === undefined || requested.trim() === '') return served;
    const wanted = requested.trim().toLowerCase();
    if (this.known().some((name) => name.toLowerCase() === wanted)) return served;
    if (this.config.strictModelNames) {
      throw new HttpError(
        404,
        'MODEL_NOT_FOUND',
        `Model "${requested}" is not served here; use one of: ${this.known().join(', ')} (or omit "model").`,
        { field: 'model' },
      );
    }
    return served;
  }
}
