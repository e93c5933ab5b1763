// `@reranker/testkit/processes`: real processes for tests and benchmarks (server bins, nginx on the
// shipped config, Redis), and the waiting around them.
export * from './nginx';
export * from './redis';
export * from './server';
export * from './wait';
