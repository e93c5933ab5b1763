/**
 * `@reranker/core/web`: the browser backend (onnxruntime-web, WebGPU or wasm) and model files read
 * over HTTP. A separate entry so that `@reranker/core` never imports onnxruntime-web.
 */
export { type WebBackendOptions, type WebDevice, webBackends } from './backend';
export { createWebReranker, type WebRerankerOptions } from './create';
export { type FetchModelOptions, fetchModel } from './fetch-model';
