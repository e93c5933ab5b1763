import { expect, it } from 'vitest';
import * as node from '../src/index';

// The public API is deliberate: adding or removing a runtime export must change this list on purpose.
it('@reranker/node exports exactly its public API', () => {
  expect(Object.keys(node).sort()).toEqual([
    'CONFIG_VARIABLES',
    'DEVICE_PREFERENCES',
    'ENGINE_CHOICES',
    'LATENCY_BOUNDS_MS',
    'ModelRequestTotals',
    'RequestTotals',
    'TRUNCATIONS',
    'aggregateCluster',
    'aggregateModels',
    'createComputeBudget',
    'createGlobalLimits',
    'createRedisCache',
    'createReranker',
    'createServerRegistry',
    'createTieredCache',
    'defaultBackends',
    'defaultCacheDir',
    'distributedStatus',
    'hubCacheFolder',
    'loadConfig',
    'mergeHistograms',
    'onnxNodeBackend',
    'openLocalModel',
    'percentile',
    'pythonBackend',
    'readTemplateFile',
    'resolveModel',
  ]);
});
