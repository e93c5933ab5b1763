import { expect, it } from 'vitest';
import * as node from '../src/index';

// The public API is deliberate: adding or removing a runtime export must change this list on purpose.
it('@reranker/node exports exactly its public API', () => {
  expect(Object.keys(node).sort()).toEqual([
    'CONFIG_VARIABLES',
    'DEVICE_PREFERENCES',
    'TRUNCATIONS',
    'createRedisCache',
    'createReranker',
    'createServerRegistry',
    'createTieredCache',
    'defaultCacheDir',
    'distributedStatus',
    'hubCacheFolder',
    'loadConfig',
    'onnxNodeBackend',
    'openLocalModel',
    'pythonBackend',
    'resolveModel',
  ]);
});
