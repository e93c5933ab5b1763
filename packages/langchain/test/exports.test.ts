import { expect, it } from 'vitest';
import * as adapter from '../src/index';

// The public API is deliberate: adding or removing a runtime export must change this list on purpose.
it('@reranker/langchain exports exactly its public API', () => {
  expect(Object.keys(adapter).sort()).toEqual(['RerankerCompressor']);
});
