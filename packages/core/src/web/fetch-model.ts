import { errorMessage, RerankerError } from '../errors';
import type { ModelFiles } from '../model';

export interface FetchModelOptions {
  /**
   * A Hugging Face hub id (`Xenova/ms-marco-MiniLM-L-6-v2`), or the URL or path of a model folder
   * (`/models/tiny`, `./models/tiny`, `http://127.0.0.1:8080/models/tiny`). A relative folder needs a
   * leading `./`: `models/tiny` reads as a hub id.
   */
  model: string;
  /** Hub revision (branch, tag or commit); ignored for URLs. @default 'main' */
  revision?: string;
  /** Hub to download hub ids from. @default 'https://huggingface.co' */
  hubEndpoint?: string;
  /**
   * Cache API cache that keeps downloaded files across page loads (keyed by URL), or `false` to always
   * download. Skipped where `globalThis.caches` does not exist (insecure contexts, Node).
   * @default 'reranker-models'
   */
  cacheName?: string | false;
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch;
}

const HUB_ENDPOINT = 'https://huggingface.co';

/**
 * Hub ids have no scheme, do not start with `/` or `.`, and have at most one `/` (`owner/name`).
 * Anything else is a folder URL or path, resolved by fetch against the page's address.
 */
function isHubId(model: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(model) && !/^[/.]/.test(model) && model.split('/').length <= 2;
}

/**
 * A model folder read over HTTP: `${hubEndpoint}/${id}/resolve/${revision}/${path}` for hub ids,
 * `${folder}/${path}` for URLs and paths. Files are kept in the Cache API (`cacheName`), so a second
 * page load reads them without network requests. Nothing is downloaded until a file is read.
 */
export function fetchModel(options: FetchModelOptions): ModelFiles {
  const { model } = options;
  if (typeof model !== 'string' || model.trim() === '') {
    throw new RerankerError('INVALID_CONFIG', 'fetchModel: model must be a hub id or a folder URL.');
  }
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const cacheName = options.cacheName ?? 'reranker-models';
  const hub = isHubId(model);
  const revision = hub ? (options.revision ?? 'main') : 'url';
  const base = hub
    ? `${(options.hubEndpoint ?? HUB_ENDPOINT).replace(/\/+$/, '')}/${model}/resolve/${encodeURIComponent(revision)}`
    : model.replace(/\/+$/, '');
  let cache: Promise<Cache | undefined> | undefined;
  const openCache = () => {
    if (cacheName === false || typeof globalThis.caches === 'undefined') return Promise.resolve(undefined);
    // A cache that cannot open (storage disabled, quota) only costs the download, never the load.
    cache ??= globalThis.caches.open(cacheName).catch(() => undefined);
    return cache;
  };

  return {
    id: model,
    source: `remote:${hub ? model : base}`,
    revision,
    async read(path: string): Promise<Uint8Array> {
      const url = `${base}/${path}`;
      const store = await openCache();
      const hit = await store?.match(url).catch(() => undefined);
      if (hit) return new Uint8Array(await hit.arrayBuffer());
      let response: Response;
      try {
        response = await doFetch(url);
      } catch (error) {
        throw new RerankerError('MODEL_LOAD_FAILED', `GET ${url} failed: ${errorMessage(error)}`, {
          cause: error,
          details: { url },
        });
      }
      if (!response.ok) {
        throw new RerankerError(
          'MODEL_LOAD_FAILED',
          `GET ${url} answered ${response.status} ${response.statusText}`.trimEnd() +
            (hub ? ` (hub id ${model}, revision ${revision}).` : '.'),
          { details: { url, status: response.status } },
        );
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      // Stored from our own copy (the body has been read); a failed put is not an error.
      await store?.put(url, new Response(bytes)).catch(() => undefined);
      return bytes;
    },
  };
}
