export { type LocalEngine, type LocalRerankingModel, localReranker } from './local';
export type { RerankerProviderOptions } from './options';
export { type RerankerServerOptions, rerankerServer } from './server';
