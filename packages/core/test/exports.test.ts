import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import * as core from '../src/index';

// The public API is deliberate: adding or removing a runtime export must change this list on purpose.
it('@reranker/core exports exactly its public API', () => {
  expect(Object.keys(core).sort()).toEqual([
    'AUTO_BATCH_CANDIDATES',
    'AdapterRanking',
    'BOUNDARY_PROBE_DOCUMENTS',
    'ComputeBudget',
    'ConcurrencyController',
    'DECODER_MAX_LENGTH',
    'DEFAULTS',
    'DTYPES',
    'DecoderRunner',
    'ERROR_CODES',
    'FairConcurrency',
    'MAX_INSTRUCTION_BYTES',
    'MetricsRecorder',
    'ONNX_FILE_BY_DTYPE',
    'PREFIX_CACHE_DEFAULTS',
    'PairEncoder',
    'PrefixKvCache',
    'PromptEncoder',
    'QWEN3_RERANKER_TEMPLATE',
    'RerankerError',
    'UnifiedReRanker',
    'abortError',
    'batchKey',
    'buildBatch',
    'checkClassifierGraph',
    'checkEncodedBatch',
    'checkLogits',
    'checkPrefixCacheOptions',
    'consoleLogger',
    'createMemoryCache',
    'decoderGraphLayout',
    'detectModelKind',
    'errorMessage',
    'isRerankerError',
    'joinPrefixRows',
    'labelCount',
    'lazyDisposable',
    'longestFirst',
    'onlySecond',
    'pairKeys',
    'pairNamespace',
    'planBatches',
    'resolveBackend',
    'runSliced',
    'scoreFromLogits',
    'serverReranker',
    'sessionInputs',
    'sigmoid',
    'silentLogger',
    'throwIfAborted',
    'validateInstruction',
    'validateTemplate',
  ]);
});

it('@reranker/core/web exports exactly its public API', async () => {
  const web = await import('../src/web/index');
  expect(Object.keys(web).sort()).toEqual(['createWebReranker', 'fetchModel', 'webBackends']);
});

it('@reranker/core never loads onnxruntime-web (only @reranker/core/web does)', async () => {
  const src = join(import.meta.dirname, '../src');
  const files = (await readdir(src, { recursive: true })).filter((f) => f.endsWith('.ts'));
  const importers: string[] = [];
  for (const file of files) {
    if (/['"]onnxruntime-web(\/[^'"]*)?['"]/.test(await readFile(join(src, file), 'utf8')))
      importers.push(file.split('\\').join('/'));
  }
  expect(importers.length).toBeGreaterThan(0);
  expect(importers.filter((f) => !f.startsWith('web/'))).toEqual([]);
});
