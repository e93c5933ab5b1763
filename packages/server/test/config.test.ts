import { isRerankerError } from '@reranker/core';
import { describe, expect, it } from 'vitest';
import { flagFor, parseCommandLine } from '../src/cli';
import { loadServerConfig } from '../src/config';

describe('loadServerConfig', () => {
  it('has the documented defaults', () => {
    expect(loadServerConfig({})).toEqual({
      host: '127.0.0.1',
      port: 8000,
      logLevel: 'info',
      warmupOnStart: true,
      bodyLimitBytes: 2 * 1024 * 1024,
      maxDocumentsPerRequest: 1000,
      maxJsonDepth: 32,
      requestTimeoutMs: 60_000,
      headersTimeoutMs: 10_000,
      apiKeys: [],
      metricsRequireAuth: false,
      corsOrigins: [],
      modelAliases: [],
      strictModelNames: false,
      shutdownTimeoutMs: 30_000,
      dashboard: true,
      scaleTargetUtilization: 0.7,
      models: [],
      modelIdleUnloadMs: 0,
      modelMemoryBudgetBytes: 0,
    });
  });

  it('parses sizes, lists, booleans and seconds', () => {
    const config = loadServerConfig({
      BODY_LIMIT: '512kb',
      API_KEYS: ' a, b ,',
      STRICT_MODEL_NAMES: 'YES',
      SHUTDOWN_TIMEOUT_SECONDS: '1.5',
      PORT: '0',
      LOG_LEVEL: 'DEBUG',
      RERANKER_MODEL_ALIASES: 'rerank-v3.5,jina-reranker-v2-base-multilingual',
    });
    expect(config).toMatchObject({
      bodyLimitBytes: 512 * 1024,
      apiKeys: ['a', 'b'],
      strictModelNames: true,
      shutdownTimeoutMs: 1500,
      port: 0,
      logLevel: 'debug',
      modelAliases: ['rerank-v3.5', 'jina-reranker-v2-base-multilingual'],
    });
  });

  it('fails fast naming every bad variable, its value and what is accepted', () => {
    let error: unknown;
    try {
      loadServerConfig({ PORT: 'eighty', BODY_LIMIT: 'lots', LOG_LEVEL: 'loud', WARMUP_ON_START: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(isRerankerError(error, 'INVALID_CONFIG')).toBe(true);
    const message = (error as Error).message;
    for (const part of [
      '4 variables',
      'PORT="eighty"',
      'BODY_LIMIT="lots"',
      'LOG_LEVEL="loud"',
      'WARMUP_ON_START="maybe"',
    ]) {
      expect(message).toContain(part);
    }
    expect(message).toContain('a whole number from 0 to 65535');
  });

  it('takes SCALE_TARGET_UTILIZATION above 0 and at most 1', () => {
    expect(loadServerConfig({ SCALE_TARGET_UTILIZATION: '.5' }).scaleTargetUtilization).toBe(0.5);
    expect(loadServerConfig({ SCALE_TARGET_UTILIZATION: '1' }).scaleTargetUtilization).toBe(1);
    for (const bad of ['0', '1.2', '-0.5', '70%']) {
      expect(() => loadServerConfig({ SCALE_TARGET_UTILIZATION: bad })).toThrow(
        `SCALE_TARGET_UTILIZATION="${bad}" is not valid: use a number above 0 and at most 1`,
      );
    }
  });
});

describe('command line', () => {
  it('names flags after the variables', () => {
    expect(
      ['RERANKER_MODEL', 'PORT', 'MAX_PARALLEL_REQUESTS', 'RERANKER_MODEL_ALIASES'].map(flagFor),
    ).toEqual(['model', 'port', 'max-parallel-requests', 'model-aliases']);
  });

  it('flags win over the environment', () => {
    const env = parseCommandLine(
      ['--port', '8001', '--model', './m', '--strict-model-names', '--batch-size', '8'],
      {
        PORT: '9000',
        HOST: '0.0.0.0',
      },
    );
    expect(env).toMatchObject({
      PORT: '8001',
      HOST: '0.0.0.0',
      RERANKER_MODEL: './m',
      STRICT_MODEL_NAMES: 'true',
      BATCH_SIZE: '8',
    });
    expect(loadServerConfig(env).port).toBe(8001);
  });
});
