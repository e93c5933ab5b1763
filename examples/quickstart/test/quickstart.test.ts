import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { synthesizedModelDir } from '@reranker/testkit';
import { expect, it } from 'vitest';

it('runs against a synthesized model folder and prints the top 3 best first', async () => {
  const dir = await synthesizedModelDir('tiny');
  const { stdout } = await promisify(execFile)('pnpm', ['start', dir], {
    cwd: resolve(import.meta.dirname, '..'),
    env: { ...process.env, RERANKER_MODEL: '' },
  });
  const lines = stdout.trim().split('\n');
  const ranked = lines.filter((l) => l.startsWith('#'));
  expect(ranked).toHaveLength(3);
  const scores = ranked.map((l) => Number(/score (-?[\d.]+)/.exec(l)![1]));
  expect(scores).toEqual([...scores].sort((a, b) => b - a));
  expect(lines.at(-1)).toMatch(/on onnxruntime-node\/cpu, dtype fp32$/);
});
