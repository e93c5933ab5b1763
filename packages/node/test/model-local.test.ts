import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isRerankerError, silentLogger } from '@reranker/core';
import { synthesizedModelDir } from '@reranker/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ResolveModelOptions, resolveModel } from '../src/model/resolve';
import { rejection } from './helpers/assertions';
import { type HubServer, startHubServer } from './helpers/hub-server';

let served: string;
let work: string;
let hub: HubServer;

beforeAll(async () => {
  served = await synthesizedModelDir('tiny');
  work = await mkdtemp(join(tmpdir(), 'reranker-local-test-'));
  hub = await startHubServer({ 'acme/tiny': served });
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await hub.close();
  await rm(work, { recursive: true, force: true });
});

function resolve(model: string, overrides: Partial<ResolveModelOptions> = {}) {
  return resolveModel({
    model,
    cacheDir: join(work, 'cache'),
    dtype: 'fp32',
    hubEndpoint: hub.url,
    logger: silentLogger,
    progress: 'none',
    ...overrides,
  });
}

/** A copy of the served model without some files. */
async function copyWithout(name: string, ...remove: string[]): Promise<string> {
  const dir = join(work, name);
  await cp(served, dir, { recursive: true });
  for (const file of remove) await rm(join(dir, file), { recursive: true });
  return dir;
}

describe('resolveModel with a local folder', () => {
  it('opens an absolute folder path as local, without touching the hub', async () => {
    const model = await resolve(served);
    expect(model).toMatchObject({
      id: served,
      source: `local:${served}`,
      revision: 'local',
      localDir: served,
    });
    const config = await readFile(join(served, 'config.json'));
    expect(Buffer.from(await model.read('config.json')).equals(config)).toBe(true);
    expect(hub.totalRequests()).toBe(0);
  });

  it('opens ./relative and ~ paths', async () => {
    const rel = `./${relative(process.cwd(), served)}`;
    expect((await resolve(rel)).source).toBe(`local:${served}`);
    const copy = await copyWithout('home-copy');
    vi.stubEnv('HOME', work);
    vi.stubEnv('USERPROFILE', work);
    expect((await resolve('~/home-copy')).source).toBe(`local:${copy}`);
  });

  it('lists what is missing and what is there', async () => {
    // Without model.safetensors too: from it, the ONNX file would be built.
    const dir = await copyWithout('incomplete', 'tokenizer.json', 'onnx/model.onnx', 'model.safetensors');
    const error = await rejection(resolve(dir));
    expect(isRerankerError(error, 'MODEL_LOAD_FAILED')).toBe(true);
    expect(error.message).toContain('missing tokenizer.json, onnx/model.onnx');
    expect(error.message).toMatch(/it holds: .*config\.json/);
    expect(error.details).toMatchObject({ missing: ['tokenizer.json', 'onnx/model.onnx'] });
  });

  it('points at RERANKER_DTYPE when another dtype is present', async () => {
    const fp32Only = await copyWithout(
      'fp32-only',
      'onnx/model_fp16.onnx',
      'onnx/model_quantized.onnx',
      'model.safetensors',
    );
    const error = await rejection(resolve(fp32Only, { dtype: 'fp16' }));
    expect(isRerankerError(error, 'MODEL_LOAD_FAILED')).toBe(true);
    expect(error.message).toContain('onnx/model_fp16.onnx');
    expect(error.message).toContain('RERANKER_DTYPE=fp32');
    expect(error.message).toContain('or model.safetensors to build it from');
  });

  it('rejects a path to a missing folder or to a file', async () => {
    for (const model of [join(work, 'nope'), './no/such/folder', join(served, 'config.json')]) {
      const error = await rejection(resolve(model));
      expect(isRerankerError(error, 'INVALID_CONFIG'), model).toBe(true);
      expect(error.message).toContain('RERANKER_MODEL');
    }
  });

  it('reads only inside the folder', async () => {
    const model = await resolve(served);
    const error = await rejection(model.read('../outside.txt'));
    expect(isRerankerError(error, 'INVALID_INPUT')).toBe(true);
    expect(isRerankerError(await rejection(model.read('absent.bin')), 'MODEL_LOAD_FAILED')).toBe(true);
  });
});

describe('hub id checks', () => {
  it.each([
    'just-a-name',
    'a/b/c',
    'owner/..',
    'owner/na me',
    'owner/x?y=1',
    '-owner/x',
    'owner/x%2F..',
    'owner/',
  ])('rejects %s before any request', async (model) => {
    hub.resetCounts();
    const error = await rejection(resolve(model));
    expect(isRerankerError(error, 'INVALID_CONFIG')).toBe(true);
    expect(error.message).toContain('hub model id');
    expect(hub.totalRequests()).toBe(0);
  });

  it.each(['../main', 'a b', 'main/', '/main', 'refs/../x'])('rejects the revision %s', async (revision) => {
    hub.resetCounts();
    const error = await rejection(resolve('acme/tiny', { revision }));
    expect(isRerankerError(error, 'INVALID_CONFIG')).toBe(true);
    expect(error.message).toContain('RERANKER_MODEL_REVISION');
    expect(hub.totalRequests()).toBe(0);
  });

  it('accepts ids with dots, dashes and underscores', async () => {
    await hub.close();
    hub = await startHubServer({ 'Org_1/model.v2-base': served });
    const model = await resolve('Org_1/model.v2-base');
    expect(model.source).toBe('remote:Org_1/model.v2-base');
  });
});
