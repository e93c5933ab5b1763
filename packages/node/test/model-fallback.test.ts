import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRerankerError, type Logger, silentLogger } from '@reranker/core';
import { synthesizedModelDir } from '@reranker/testkit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ResolveModelOptions, resolveModel } from '../src/model/resolve';
import { rejection } from './helpers/assertions';
import { type HubServer, startHubServer, unreachableEndpoint } from './helpers/hub-server';

const ID = 'acme/tiny';
let served: string;
let cacheDir: string;

beforeAll(async () => {
  served = await synthesizedModelDir('tiny');
});

beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'reranker-fallback-test-'));
});

afterEach(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

function resolve(hubEndpoint: string, overrides: Partial<ResolveModelOptions> = {}) {
  return resolveModel({
    model: ID,
    cacheDir,
    dtype: 'fp32',
    hubEndpoint,
    logger: silentLogger,
    progress: 'none',
    ...overrides,
  });
}

function warnings(): Logger & { warned: string[] } {
  const warned: string[] = [];
  return {
    ...silentLogger,
    warned,
    warn: (obj, msg) => warned.push(typeof obj === 'string' ? obj : (msg ?? '')),
  };
}

describe('when the hub is down', () => {
  it('uses RERANKER_LOCAL_MODEL_PATH with a warning saying why', async () => {
    const logger = warnings();
    const model = await resolve(await unreachableEndpoint(), { localModelPath: served, logger });
    expect(model).toMatchObject({ source: `local:${served}`, localDir: served, revision: 'local' });
    expect(logger.warned).toHaveLength(1);
    expect(logger.warned[0]).toContain('RERANKER_LOCAL_MODEL_PATH');
    expect(logger.warned[0]).toContain('unreachable');
  });

  it('fails with advice on pointing at a local folder when there is no fallback', async () => {
    const error = await rejection(resolve(await unreachableEndpoint()));
    expect(isRerankerError(error, 'MODEL_LOAD_FAILED')).toBe(true);
    expect(error.message).toContain('the hub was unreachable');
    expect(error.message).toContain('RERANKER_LOCAL_MODEL_PATH=/path/to/folder');
    expect(error.message).toContain('RERANKER_MODEL=/path/to/folder');
  });

  it('says so when the fallback folder is unusable too', async () => {
    const error = await rejection(
      resolve(await unreachableEndpoint(), { localModelPath: join(cacheDir, 'nothing') }),
    );
    expect(isRerankerError(error, 'MODEL_LOAD_FAILED')).toBe(true);
    expect(error.message).toContain('the hub was unreachable');
    expect(error.message).toContain('fallback folder RERANKER_LOCAL_MODEL_PATH=');
    expect(error.message).toContain('missing config.json');
  });

  it('still serves a model downloaded earlier', async () => {
    const hub = await startHubServer({ [ID]: served });
    const first = await resolve(hub.url);
    await hub.close();
    const again = await resolve(await unreachableEndpoint());
    expect(again).toMatchObject({ source: `remote:${ID}`, localDir: first.localDir });
  });
});

describe('other hub failures', () => {
  let hub: HubServer;
  beforeEach(async () => {
    hub = await startHubServer({ [ID]: served });
  });
  afterEach(async () => {
    await hub.close();
  });

  it('falls back on an error status and on a refused request', async () => {
    for (const behaviour of [{ fail: 500 }, { requireToken: 'hf_x' }, { fail: 'drop' as const }]) {
      hub.behaviour = behaviour;
      const logger = warnings();
      const model = await resolve(hub.url, { localModelPath: served, logger });
      expect(model.source, JSON.stringify(behaviour)).toBe(`local:${served}`);
      expect(logger.warned).toHaveLength(1);
    }
  });

  it('in offline mode makes no request and explains what to do', async () => {
    const error = await rejection(resolve(hub.url, { offline: true }));
    expect(isRerankerError(error, 'MODEL_LOAD_FAILED')).toBe(true);
    expect(error.message).toContain('offline');
    expect(error.message).toContain('RERANKER_LOCAL_MODEL_PATH');
    expect(hub.totalRequests()).toBe(0);
    const model = await resolve(hub.url, { offline: true, localModelPath: served });
    expect(model.source).toBe(`local:${served}`);
    expect(hub.totalRequests()).toBe(0);
  });

  it('explains a cache folder it cannot write to', async () => {
    const file = join(cacheDir, 'a-file');
    await writeFile(file, '');
    const error = await rejection(resolve(hub.url, { cacheDir: join(file, 'cache') }));
    expect(isRerankerError(error, 'MODEL_LOAD_FAILED')).toBe(true);
    expect(error.message).toContain('RERANKER_CACHE_DIR');
  });

  it('does not fall back on a configuration mistake', async () => {
    const error = await rejection(resolve(hub.url, { model: 'not/a/hub/id', localModelPath: served }));
    expect(isRerankerError(error, 'INVALID_CONFIG')).toBe(true);
  });
});
