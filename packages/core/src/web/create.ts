import type { ModelFiles } from '../model';
import type { UnifiedReRankerOptions } from '../options';
import { UnifiedReRanker } from '../reranker';
import { type WebBackendOptions, webBackends } from './backend';
import { type FetchModelOptions, fetchModel } from './fetch-model';

export interface WebRerankerOptions
  extends Omit<UnifiedReRankerOptions, 'model' | 'backends'>,
    WebBackendOptions,
    Omit<FetchModelOptions, 'model'> {
  /** A hub id or folder URL (read with `fetchModel`), or your own `ModelFiles`. */
  model: string | ModelFiles;
}

/**
 * A reranker for the browser: the model read over HTTP (and kept in the Cache API), run by
 * onnxruntime-web on WebGPU when the browser has a GPU adapter, else on wasm.
 */
export async function createWebReranker(options: WebRerankerOptions): Promise<UnifiedReRanker> {
  const {
    model,
    device,
    wasmPaths,
    numThreads,
    prefixCache,
    revision,
    hubEndpoint,
    cacheName,
    fetch,
    ...engine
  } = options;
  const files =
    typeof model === 'string' ? fetchModel({ model, revision, hubEndpoint, cacheName, fetch }) : model;
  return UnifiedReRanker.create({
    ...engine,
    model: files,
    backends: webBackends({ device, wasmPaths, numThreads, prefixCache }),
  });
}
