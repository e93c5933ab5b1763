import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRerankerError, type Logger, type ModelFiles, silentLogger } from '@reranker/core';
import { synthesizedModelDir } from '@reranker/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MANIFEST_FILE } from '../src/model/manifest';
import { type ResolveModelOptions, resolveModel } from '../src/model/resolve';
import { rejection } from './helpers/assertions';
import { type HubServer, startHubServer } from './helpers/hub-server';

const ID = 'acme/tiny-reranker';
const FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'onnx/model.onnx',
];

let served: string;
let fp32Only: string;
let hub: HubServer;
let cacheDir: string;

beforeAll(async () => {
  served = await synthesizedModelDir('tiny');
  // A repo with neither the int8 export nor PyTorch weights, as many hub repos are.
  fp32Only = await mkdtemp(join(tmpdir(), 'reranker-fp32-only-'));
  await cp(served, fp32Only, { recursive: true });
  await rm(join(fp32Only, 'onnx', 'model_quantized.onnx'));
  await rm(join(fp32Only, 'model.safetensors'));
});

afterAll(async () => {
  await rm(fp32Only, { recursive: true, force: true });
});

beforeEach(async () => {
  hub = await startHubServer({ [ID]: served, 'acme/fp32-only': fp32Only });
  cacheDir = await mkdtemp(join(tmpdir(), 'reranker-hub-test-'));
});

afterEach(async () => {
  await hub.close();
  await rm(cacheDir, { recursive: true, force: true });
});

function resolve(overrides: Partial<ResolveModelOptions> = {}): Promise<ModelFiles> {
  return resolveModel({
    model: ID,
    cacheDir,
    dtype: 'fp32',
    hubEndpoint: hub.url,
    logger: silentLogger,
    progress: 'none',
    ...overrides,
  });
}

function recordingLogger(): Logger & { lines: { level: string; msg: string; obj: unknown }[] } {
  const lines: { level: string; msg: string; obj: unknown }[] = [];
  const record = (level: string) => (obj: object | string, msg?: string) =>
    lines.push({ level, msg: typeof obj === 'string' ? obj : (msg ?? ''), obj });
  return {
    lines,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
}

const path = (file: string, id = ID, revision = 'main') => `/${id}/resolve/${revision}/${file}`;

describe('resolveModel from the hub', () => {
  it('downloads the model into the cache and reads the same bytes back', async () => {
    const model = await resolve();
    expect(model).toMatchObject({ id: ID, source: `remote:${ID}`, revision: 'main' });
    expect(model.localDir?.startsWith(cacheDir)).toBe(true);
    for (const file of FILES) {
      const original = await readFile(join(served, file));
      expect(Buffer.from(await readFile(join(model.localDir!, file))).equals(original), file).toBe(true);
      expect(Buffer.from(await model.read(file)).equals(original), file).toBe(true);
      expect(hub.requests.get(path(file))).toBe(1);
    }
  });

  it('fetches model.safetensors only when asked (for the Python/MLX backend), and a repo without it still loads', async () => {
    const plain = await resolve();
    expect(hub.requests.get(path('model.safetensors'))).toBeUndefined();
    await expect(readFile(join(plain.localDir!, 'model.safetensors'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
    const withWeights = await resolve({ extraFiles: ['model.safetensors'] });
    const original = await readFile(join(served, 'model.safetensors'));
    expect(Buffer.from(await withWeights.read('model.safetensors')).equals(original)).toBe(true);
    // An ONNX-only repo (many Xenova/* repos): the 404 is recorded, the ONNX backend still has its files.
    const onnxOnly = await resolve({ model: 'acme/fp32-only', extraFiles: ['model.safetensors'] });
    expect(onnxOnly.source).toBe('remote:acme/fp32-only');
    expect(hub.requests.get('/acme/fp32-only/resolve/main/model.safetensors')).toBe(1);
    await expect(onnxOnly.read('model.safetensors')).rejects.toThrow();
  });

  it('makes no request at all on the second resolve', async () => {
    const first = await resolve();
    expect(hub.totalRequests()).toBeGreaterThan(0);
    hub.resetCounts();
    const second = await resolve();
    expect(hub.totalRequests()).toBe(0);
    expect(second.localDir).toBe(first.localDir);
    const offline = await resolve({ offline: true });
    expect(offline.source).toBe(`remote:${ID}`);
    expect(hub.totalRequests()).toBe(0);
  });

  it('downloads once when two resolves run at the same time', async () => {
    const [a, b] = await Promise.all([resolve(), resolve()]);
    expect(a.localDir).toBe(b.localDir);
    for (const file of FILES) expect(hub.requests.get(path(file)), file).toBe(1);
  });

  it('keeps revisions apart and puts the revision in the URL', async () => {
    await hub.close();
    hub = await startHubServer({ [ID]: served }, { revision: 'refs/pr/1' });
    const model = await resolve({ revision: 'refs/pr/1' });
    expect(model.revision).toBe('refs/pr/1');
    expect(hub.requests.get(path('config.json', ID, 'refs%2Fpr%2F1'))).toBe(1);
    const other = await rejection(resolve({ revision: 'main' }));
    expect(other.message).toContain('HTTP 404');
  });

  it('sends the token and explains a refusal', async () => {
    hub.behaviour = { requireToken: 'hf_right' };
    const refused = await rejection(resolve());
    expect(isRerankerError(refused, 'MODEL_LOAD_FAILED')).toBe(true);
    expect(refused.message).toContain('HTTP 401');
    expect(refused.message).toContain('set HF_TOKEN');
    const wrongToken = await rejection(resolve({ hubToken: 'hf_wrong' }));
    expect(wrongToken.message).toContain('token in HF_TOKEN was refused');
    const model = await resolve({ hubToken: 'hf_right' });
    expect(model.source).toBe(`remote:${ID}`);
  });

  it('says which file is missing, and when it is the dtype ONNX file, to change RERANKER_DTYPE', async () => {
    const q8 = await rejection(resolve({ model: 'acme/fp32-only', dtype: 'q8' }));
    expect(isRerankerError(q8, 'MODEL_LOAD_FAILED')).toBe(true);
    expect(q8.message).toContain('onnx/model_quantized.onnx');
    expect(q8.message).toContain('RERANKER_DTYPE');
    const unknown = await rejection(resolve({ model: 'acme/nothing-here' }));
    expect(unknown.message).toContain('HTTP 404');
    expect(unknown.message).toContain('RERANKER_MODEL');
  });

  it('reports a hub error status with advice', async () => {
    hub.behaviour = { fail: 503 };
    const error = await rejection(resolve());
    expect(isRerankerError(error, 'MODEL_LOAD_FAILED')).toBe(true);
    expect(error.message).toContain('HTTP 503');
    expect(error.message).toContain('RERANKER_LOCAL_MODEL_PATH');
  });
});

describe('interrupted downloads', () => {
  it('never takes a cut-off file as complete', async () => {
    hub.behaviour = { truncate: { file: 'onnx/model.onnx', bytes: 100_000 } };
    const error = await rejection(resolve());
    expect(isRerankerError(error, 'MODEL_LOAD_FAILED')).toBe(true);
    expect(error.message).toContain('cut off');
    // Nothing under the final name, no temp file left behind.
    const onnxDir = await readdir(join(cacheDir, 'models', 'acme', 'tiny-reranker', 'main', 'onnx'));
    expect(onnxDir).toEqual([]);

    hub.behaviour = {};
    hub.resetCounts();
    const model = await resolve();
    // Files that arrived whole before the cut are kept; the cut one is fetched again.
    expect(hub.requests.get(path('onnx/model.onnx'))).toBe(1);
    expect(hub.requests.get(path('config.json'))).toBeUndefined();
    const original = await readFile(join(served, 'onnx/model.onnx'));
    expect(Buffer.from(await model.read('onnx/model.onnx')).equals(original)).toBe(true);
  });

  it('gives up on a download that stops sending, and fetches it whole next time', async () => {
    hub.behaviour = { truncate: { file: 'onnx/model.onnx', bytes: 50_000, ending: 'hang' } };
    const error = await rejection(resolve({ stallTimeoutMs: 1000 }));
    expect(isRerankerError(error, 'MODEL_LOAD_FAILED')).toBe(true);
    expect(error.message).toContain('cut off after 50000 of');
    expect(error.message).toContain('no data for 1 s');
    hub.behaviour = {};
    hub.resetCounts();
    const model = await resolve();
    expect(hub.requests.get(path('onnx/model.onnx'))).toBe(1);
    const original = await readFile(join(served, 'onnx/model.onnx'));
    expect(Buffer.from(await model.read('onnx/model.onnx')).equals(original)).toBe(true);
  });

  it('fetches again a file whose size no longer matches the record', async () => {
    const model = await resolve();
    await writeFile(join(model.localDir!, 'onnx/model.onnx'), 'half');
    hub.resetCounts();
    await resolve();
    expect(hub.requests.get(path('onnx/model.onnx'))).toBe(1);
    expect((await stat(join(model.localDir!, 'onnx/model.onnx'))).size).toBe(
      (await stat(join(served, 'onnx/model.onnx'))).size,
    );
  });

  it('ignores files in the cache folder that no manifest records', async () => {
    const model = await resolve();
    await rm(join(model.localDir!, MANIFEST_FILE));
    hub.resetCounts();
    await resolve();
    for (const file of FILES) expect(hub.requests.get(path(file)), file).toBe(1);
  });
});

describe('download progress', () => {
  it("logs the progress of large files with 'log'", async () => {
    hub.behaviour = { chunkBytes: 32 * 1024, chunkDelayMs: 2 };
    const logger = recordingLogger();
    await resolve({ logger, progress: 'log' });
    const onnxLines = logger.lines.filter(
      (l) => l.level === 'info' && l.msg.startsWith('downloading onnx/model.onnx'),
    );
    expect(onnxLines.length).toBeGreaterThanOrEqual(3);
    const loaded = onnxLines.map((l) => (l.obj as { loaded: number }).loaded);
    expect([...loaded].sort((a, b) => a - b)).toEqual(loaded);
    expect(onnxLines[0]!.msg).toMatch(/\d+% \([\d.]+\/[\d.]+ MB, [\d.]+ MB\/s\)/);
    const size = (await stat(join(served, 'onnx/model.onnx'))).size;
    const done = logger.lines.find((l) => l.msg.startsWith('downloaded onnx/model.onnx'));
    expect(done?.obj).toMatchObject({ file: 'onnx/model.onnx', loaded: size, total: size });
  });

  it("draws a bar on stderr with 'bar'", async () => {
    hub.behaviour = { chunkBytes: 64 * 1024 };
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await resolve({ progress: 'bar' });
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toMatch(/onnx\/model\.onnx \[.*\] 100% \| 0\.4\/0\.4 MB/);
  });

  it("is quiet about progress with 'none'", async () => {
    hub.behaviour = { chunkBytes: 32 * 1024 };
    const logger = recordingLogger();
    await resolve({ logger, progress: 'none' });
    expect(logger.lines.filter((l) => l.msg.includes('%') || l.msg.startsWith('downloaded '))).toEqual([]);
    // The one line saying a download starts is still there: a first start can take minutes.
    expect(
      logger.lines.filter((l) => l.level === 'info' && l.msg.includes(`downloading ${ID}`)),
    ).toHaveLength(1);
  });
});
