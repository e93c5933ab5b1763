import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { qwen3Oracle, synthesizedQwen3Dir } from '@reranker/testkit';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { onnxNodeBackend } from '../src/index';
import { type HubServer, startHubServer } from './helpers/hub-server';
import { useWorkspace } from './helpers/workspace';

/**
 * A Qwen3-Reranker repo as the hub publishes it (config, tokenizer files, model.safetensors; no
 * ONNX), served by the local hub stand-in: the prefix graph is built at load, scores match the float64
 * reference, and a second load makes no request and builds nothing.
 */

const QUERY = 'what is the capital of China?';
const DOCS = ['Beijing.', 'Paris is the capital of France.', 'Gravity attracts bodies to each other.'];
const ID = 'acme/qwen3-reranker';

const { dir: workDir, load: loadReranker } = useWorkspace('hub-qwen3');
let hub: HubServer;
let dir: string;

beforeAll(async () => {
  dir = await synthesizedQwen3Dir('tiny-qwen3');
  hub = await startHubServer({ [ID]: dir });
});
afterEach(() => hub.resetCounts());
afterAll(() => hub.close());

const load = (cacheDir: string) =>
  loadReranker({
    env: { HF_ENDPOINT: hub.url },
    model: ID,
    cacheDir,
    cacheEnabled: false,
    backends: [onnxNodeBackend({ workers: 1, threadsPerWorker: 1 })],
  });

it('safetensors only: builds the prefix graph once; a second load makes no request and no build', async () => {
  const cacheDir = join(workDir(), 'cache');
  const oracle = await qwen3Oracle(dir);
  const want = DOCS.map((d) => oracle.score(QUERY, d));
  const first = await load(cacheDir);
  const scores = await first.reranker.score(DOCS.map((d) => [QUERY, d] as const));
  expect(Math.max(...scores.map((s, i) => Math.abs(s - want[i]!)))).toBeLessThan(1e-5);
  const info = await first.reranker.info();
  expect(info).toMatchObject({ kind: 'decoder-yes-no', backendDetails: { decoderLayout: 'prefix' } });
  expect(hub.requests.get(`/${ID}/resolve/main/model.safetensors`)).toBe(1);
  expect(first.logger.lines.filter((l) => l.startsWith('built the ONNX graph'))).toHaveLength(1);
  const graphs = await readdir(join(cacheDir, 'graphs'));

  hub.resetCounts();
  const second = await load(cacheDir);
  expect(hub.totalRequests()).toBe(0);
  expect(second.logger.lines.filter((l) => /downloading|building|built the ONNX graph/.test(l))).toEqual([]);
  expect(await second.reranker.score(DOCS.map((d) => [QUERY, d] as const))).toEqual(scores);
  expect(await readdir(join(cacheDir, 'graphs'))).toEqual(graphs);
});
