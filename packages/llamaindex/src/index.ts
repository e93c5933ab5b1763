export { type Reranker, RerankerPostprocessor, type RerankerPostprocessorOptions } from './postprocessor';
