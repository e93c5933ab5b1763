import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@reranker/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { defaultBackends, mlxUnavailableReason } from '../src/python/selection';

const MAC = { platform: 'darwin', arch: 'arm64' };
const LINUX = { platform: 'linux', arch: 'x64' };

let scratch: string;
let withMlx: string;
let withoutMlx: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'reranker-mlx-'));
  // Stand-in interpreters: `-c "import mlx.core"` succeeds or fails like a real python would.
  withMlx = join(scratch, 'python-with-mlx');
  withoutMlx = join(scratch, 'python-without-mlx');
  await writeFile(withMlx, '#!/bin/sh\nexit 0\n');
  await writeFile(withoutMlx, '#!/bin/sh\necho "ModuleNotFoundError: No module named \'mlx\'" >&2\nexit 1\n');
  await Promise.all([chmod(withMlx, 0o755), chmod(withoutMlx, 0o755)]);
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function recording(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const keep = (o: object | string, m?: string) => warnings.push(typeof o === 'string' ? o : (m ?? ''));
  return { warnings, debug() {}, info() {}, warn: keep, error: keep };
}

describe('MLX availability', () => {
  it('needs macOS on arm64', async () => {
    expect(await mlxUnavailableReason(withMlx, LINUX)).toContain('macOS on Apple Silicon');
    expect(await mlxUnavailableReason(withMlx, { platform: 'darwin', arch: 'x64' })).toContain('darwin x64');
  });

  it('needs an interpreter that can import mlx.core, and says why not', async () => {
    expect(await mlxUnavailableReason(withMlx, MAC)).toBeUndefined();
    const reason = await mlxUnavailableReason(withoutMlx, MAC);
    expect(reason).toContain("No module named 'mlx'");
    expect(reason).toContain('RERANKER_PYTHON');
  });
});

describe('default backends', () => {
  const names = async (env: Record<string, string>, host: typeof MAC, logger = recording()) =>
    (await defaultBackends(loadConfig(env), logger, host)).map((c) => c.name);

  it('puts python:mlx before onnxruntime when USE_MLX allows and MLX imports (RERANKER_PYTHON)', async () => {
    const logger = recording();
    expect(await names({ RERANKER_PYTHON: withMlx }, MAC, logger)).toEqual([
      'python:mlx',
      'onnxruntime-node',
    ]);
    expect(await names({ RERANKER_PYTHON: withMlx, USE_MLX: 'true' }, MAC, logger)).toEqual([
      'python:mlx',
      'onnxruntime-node',
    ]);
    expect(logger.warnings).toEqual([]);
  });

  it('USE_MLX=false never uses MLX, even where it would work', async () => {
    expect(await names({ RERANKER_PYTHON: withMlx, USE_MLX: 'false' }, MAC)).toEqual(['onnxruntime-node']);
  });

  it('USE_MLX=true without MLX warns exactly once with the reason; auto falls back quietly', async () => {
    const strict = recording();
    expect(await names({ RERANKER_PYTHON: withoutMlx, USE_MLX: 'true' }, MAC, strict)).toEqual([
      'onnxruntime-node',
    ]);
    expect(strict.warnings).toHaveLength(1);
    expect(strict.warnings[0]).toMatch(
      /^MLX not available, falling back to onnxruntime-node \(.*No module named 'mlx'/,
    );
    const auto = recording();
    expect(await names({ RERANKER_PYTHON: withoutMlx }, MAC, auto)).toEqual(['onnxruntime-node']);
    expect(await names({ USE_MLX: 'auto' }, LINUX, auto)).toEqual(['onnxruntime-node']);
    expect(auto.warnings).toEqual([]);
  });

  it('RERANKER_BACKEND=numpy puts the NumPy worker where onnxruntime was, with no further fallback', async () => {
    expect(await names({ RERANKER_BACKEND: 'numpy' }, LINUX)).toEqual(['python:numpy']);
    expect(await names({ RERANKER_BACKEND: 'numpy', RERANKER_PYTHON: withMlx }, MAC)).toEqual([
      'python:mlx',
      'python:numpy',
    ]);
    const strict = recording();
    expect(await names({ RERANKER_BACKEND: 'numpy', USE_MLX: 'true' }, LINUX, strict)).toEqual([
      'python:numpy',
    ]);
    expect(strict.warnings).toHaveLength(1);
    expect(strict.warnings[0]).toMatch(/^MLX not available, falling back to python:numpy \(MLX needs macOS/);
  });
});
