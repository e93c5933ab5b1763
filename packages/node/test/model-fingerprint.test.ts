import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, silentLogger } from '@reranker/core';
import { synthesizedModelDir } from '@reranker/testkit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { combineHashes, hashMemoDir } from '../src/model/fingerprint';
import { MANIFEST_FILE } from '../src/model/manifest';
import { type ResolveModelOptions, resolveModel } from '../src/model/resolve';
import { type HubServer, startHubServer } from './helpers/hub-server';

// What the ONNX backend and the engine read for dtype fp32 (model_quantized.onnx and model.safetensors
// belong to other dtypes and backends).
const FP32_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'onnx/model.onnx',
];

let modelA: string;
let modelB: string;
let work: string;

beforeAll(async () => {
  modelA = await synthesizedModelDir('tiny');
  modelB = await synthesizedModelDir('tiny', { seed: 7 });
});

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'reranker-fingerprint-test-'));
});

afterEach(async () => {
  await chmod(work, 0o700).catch(() => {});
  await rm(work, { recursive: true, force: true });
});

/** The fingerprint computed here from the files' bytes (sha256 of each, then `combineHashes`). */
async function expectedFingerprint(dir: string, files = FP32_FILES): Promise<string> {
  const hashes: Record<string, string> = {};
  for (const file of files) {
    hashes[file] = createHash('sha256')
      .update(await readFile(join(dir, file)))
      .digest('hex');
  }
  return combineHashes(hashes);
}

function warnings(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { ...silentLogger, lines, warn: (obj, msg) => void lines.push(msg ?? String(obj)) };
}

function resolve(model: string, overrides: Partial<ResolveModelOptions> = {}) {
  return resolveModel({
    model,
    cacheDir: join(work, 'cache'),
    dtype: 'fp32',
    logger: silentLogger,
    progress: 'none',
    ...overrides,
  });
}

/** Puts a copy of `source` at `work/current`, replacing whatever was there (as a deploy does). */
async function deploy(source: string): Promise<string> {
  const dir = join(work, 'current');
  await rm(dir, { recursive: true, force: true });
  await cp(source, dir, { recursive: true });
  return dir;
}

describe('the fingerprint of a local folder', () => {
  it('hashes the files the fp32 ONNX backend and the engine read', async () => {
    const dir = await deploy(modelA);
    const model = await resolve(dir);
    expect(model.fingerprint).toBe(await expectedFingerprint(modelA));
    // The Python backend reads model.safetensors: covered when that backend is a candidate.
    const withWeights = await resolve(dir, { extraFiles: ['model.safetensors'] });
    expect(withWeights.fingerprint).toBe(
      await expectedFingerprint(modelA, [...FP32_FILES, 'model.safetensors']),
    );
  });

  it('changes when another model replaces the folder at the same path, with the same file sizes', async () => {
    const first = await resolve(await deploy(modelA));
    const second = await resolve(await deploy(modelB));
    expect(second.source).toBe(first.source);
    expect((await readFile(join(modelB, 'onnx/model.onnx'))).length).toBe(
      (await readFile(join(modelA, 'onnx/model.onnx'))).length,
    );
    expect(second.fingerprint).not.toBe(first.fingerprint);
    expect(second.fingerprint).toBe(await expectedFingerprint(modelB));
  });

  it('stays the same for the same content, at the same path or another', async () => {
    const first = await resolve(await deploy(modelA));
    const again = await resolve(await deploy(modelA));
    const elsewhere = await resolve(modelA);
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(elsewhere.fingerprint).toBe(first.fingerprint);
  });

  it('a second load reads the remembered hashes instead of hashing the files again', async () => {
    const dir = await deploy(modelA);
    const first = await resolve(dir);
    const memoDir = hashMemoDir(join(work, 'cache'));
    const memos = await readdir(memoDir);
    expect(memos).toHaveLength(FP32_FILES.length);
    // Mark every memo: if the next load used them, its fingerprint is made of the marks.
    const marks: Record<string, string> = {};
    for (const name of memos) {
      const memo = JSON.parse(await readFile(join(memoDir, name), 'utf8'));
      const file = FP32_FILES.find((f) => memo.path === join(dir, f))!;
      memo.sha256 = marks[file] = createHash('sha256').update(`mark ${file}`).digest('hex');
      await writeFile(join(memoDir, name), JSON.stringify(memo));
    }
    const second = await resolve(dir);
    expect(second.fingerprint).toBe(combineHashes(marks));
    expect(second.fingerprint).not.toBe(first.fingerprint);
    // A touched file (new mtime and ctime, same bytes) is hashed again: its mark is gone.
    await utimes(join(dir, 'config.json'), new Date(), new Date(2001, 1, 1));
    const third = await resolve(dir);
    const configHash = createHash('sha256')
      .update(await readFile(join(dir, 'config.json')))
      .digest('hex');
    expect(third.fingerprint).toBe(combineHashes({ ...marks, 'config.json': configHash }));
  });

  it('loads with a warning when the hashes cannot be remembered', async () => {
    const dir = await deploy(modelA);
    const cacheDir = join(work, 'read-only');
    await mkdir(cacheDir);
    await chmod(cacheDir, 0o500);
    const logger = warnings();
    const model = await resolve(dir, { cacheDir, logger });
    expect(model.fingerprint).toBe(await expectedFingerprint(modelA));
    // Root ignores file modes; the warning is only observable as another user.
    if (process.getuid?.() !== 0) {
      expect(logger.lines.join('\n')).toMatch(/could not remember the hash .* hashed again at every start/);
    }
  });
});

describe('the fingerprint of a hub download', () => {
  const ID = 'acme/tiny';
  const COMMIT = 'c'.repeat(40);
  let hub: HubServer;
  beforeEach(async () => {
    hub = await startHubServer({ [ID]: modelA }, { behaviour: { commit: COMMIT } });
  });
  afterEach(async () => {
    await hub.close();
  });

  const manifestPath = (dir: string) => join(dir, MANIFEST_FILE);

  it('is hashed while downloading and kept in the manifest with the hub commit', async () => {
    const model = await resolve(ID, { hubEndpoint: hub.url });
    expect(model.fingerprint).toBe(await expectedFingerprint(modelA));
    expect(model.commit).toBe(COMMIT);
    const manifest = JSON.parse(await readFile(manifestPath(model.localDir!), 'utf8'));
    for (const file of FP32_FILES) {
      expect(manifest.files[file].sha256, file).toBe(
        createHash('sha256')
          .update(await readFile(join(modelA, file)))
          .digest('hex'),
      );
      expect(manifest.files[file].commit, file).toBe(COMMIT);
    }
  });

  it('a restart reads the hashes from the manifest, without a request or a rehash', async () => {
    const first = await resolve(ID, { hubEndpoint: hub.url });
    const path = manifestPath(first.localDir!);
    const manifest = JSON.parse(await readFile(path, 'utf8'));
    const marks: Record<string, string> = {};
    for (const file of FP32_FILES) manifest.files[file].sha256 = marks[file] = `${file} mark`;
    await writeFile(path, JSON.stringify(manifest));
    hub.resetCounts();
    const second = await resolve(ID, { hubEndpoint: hub.url });
    expect(hub.totalRequests()).toBe(0);
    expect(second.fingerprint).toBe(combineHashes(marks));
  });

  it('a manifest of an older version (no hashes) is hashed once and completed', async () => {
    const first = await resolve(ID, { hubEndpoint: hub.url });
    const path = manifestPath(first.localDir!);
    const manifest = JSON.parse(await readFile(path, 'utf8'));
    for (const file of Object.keys(manifest.files)) {
      delete manifest.files[file].sha256;
      delete manifest.files[file].commit;
    }
    await writeFile(path, JSON.stringify(manifest));
    const second = await resolve(ID, { hubEndpoint: hub.url, offline: true });
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.commit).toBeUndefined();
    const completed = JSON.parse(await readFile(path, 'utf8'));
    for (const file of FP32_FILES) {
      const bytes = await readFile(join(modelA, file));
      expect(completed.files[file].sha256, file).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('files from two commits give a warning and no commit', async () => {
    const first = await resolve(ID, { hubEndpoint: hub.url });
    await rm(join(first.localDir!, 'tokenizer.json'));
    hub.behaviour = { commit: 'd'.repeat(40) };
    const logger = warnings();
    const second = await resolve(ID, { hubEndpoint: hub.url, logger });
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.commit).toBeUndefined();
    expect(logger.lines.join('\n')).toMatch(
      /come from different hub commits; delete .* to download them again/,
    );
  });
});
