import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { appConfig } from '../app-config';

// What `pnpm --filter browser dev` serves besides the page: the headers for wasm threads, onnxruntime-web's
// files from node_modules, and model folders. (The page itself is driven in chromium in browser.test.ts.)
let server: ViteDevServer;
let base: string;
let scratch: string;
let modelsDir: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'reranker-browser-dev-'));
  modelsDir = join(scratch, 'models');
  // A file next to the models folder, which /models/ must not reach.
  await writeFile(join(scratch, 'secret.txt'), 'not a model file');
  await mkdir(join(modelsDir, 'm', 'onnx'), { recursive: true });
  await writeFile(join(modelsDir, 'm', 'config.json'), '{"model_type":"bert"}');
  await writeFile(join(modelsDir, 'm', 'onnx', 'model.onnx'), new Uint8Array([1, 2, 3]));
  server = await createServer({
    configFile: false,
    logLevel: 'warn',
    ...appConfig({ modelsDir }),
    server: { host: '127.0.0.1', port: 0, strictPort: true, hmr: false, watch: null },
  });
  await server.listen();
  base = `http://127.0.0.1:${(server.httpServer!.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await server?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

it('sends COOP/COEP with the page', async () => {
  const response = await fetch(`${base}/`);
  expect(response.status).toBe(200);
  expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  expect(await response.text()).toContain('data-testid="rerank"');
});

it("serves onnxruntime-web's glue and wasm from node_modules under /ort/", async () => {
  const wasm = await fetch(`${base}/ort/ort-wasm-simd-threaded.jsep.wasm`);
  expect(wasm.status).toBe(200);
  expect(wasm.headers.get('content-type')).toBe('application/wasm');
  // The wasm magic number: the real binary, not the page's HTML fallback.
  expect([...new Uint8Array((await wasm.arrayBuffer()).slice(0, 4))]).toEqual([0, 0x61, 0x73, 0x6d]);
  const glue = await fetch(`${base}/ort/ort-wasm-simd-threaded.jsep.mjs`);
  expect(glue.headers.get('content-type')).toBe('text/javascript');
  expect(glue.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
});

it('serves model folders under /models/, 404 for missing files, nothing outside the folder', async () => {
  const config = await fetch(`${base}/models/m/config.json`);
  expect(config.headers.get('content-type')).toBe('application/json');
  expect(await config.json()).toEqual({ model_type: 'bert' });
  const onnx = await fetch(`${base}/models/m/onnx/model.onnx`);
  expect([...new Uint8Array(await onnx.arrayBuffer())]).toEqual([1, 2, 3]);
  const missing = await fetch(`${base}/models/m/onnx/model_fp16.onnx`);
  expect(missing.status).toBe(404);
  expect(await missing.text()).toMatch(/No such model file: \/m\/onnx\/model_fp16\.onnx/);
  const outside = await fetch(`${base}/models/%2e%2e/secret.txt`);
  expect(await outside.text()).not.toContain('not a model file');
});
