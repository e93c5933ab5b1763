import { expect, it } from 'vitest';
import * as core from '../src/index';

// The public API is deliberate: adding or removing a runtime export must change this list on purpose.
it('@reranker/core exports exactly its public API', () => {
  expect(Object.keys(core).sort()).toEqual([
    'ConcurrencyController',
    'DTYPES',
    'ERROR_CODES',
    'MetricsRecorder',
    'ONNX_FILE_BY_DTYPE',
    'PairEncoder',
    'RerankerError',
    'UnifiedReRanker',
    'consoleLogger',
    'createMemoryCache',
    'errorMessage',
    'isRerankerError',
    'labelCount',
    'pairKeys',
    'pairNamespace',
    'resolveBackend',
    'scoreFromLogits',
    'sigmoid',
    'silentLogger',
  ]);
});
