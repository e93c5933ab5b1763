export { type Reranker, RerankerCompressor, type RerankerCompressorOptions } from './compressor';
