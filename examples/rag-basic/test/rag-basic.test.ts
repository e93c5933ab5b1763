import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { expect, it } from 'vitest';

// The example runs as the README says (`pnpm start -- --model …`) against a synthesized model: random
// weights, so the order it prints means nothing and only the structure (and each score) is checked.
const root = resolve(import.meta.dirname, '..');

async function run(...args: string[]): Promise<string[]> {
  const { stdout } = await promisify(execFile)('pnpm', ['start', '--', ...args], {
    cwd: root,
    env: { ...process.env, RERANKER_MODEL: '' },
  });
  return stdout.trim().split('\n');
}

interface Row {
  rank: number;
  bm25Rank: number;
  score: number;
  id: string;
}

function rows(lines: string[]): Row[] {
  return lines
    .filter((l) => l.startsWith('#'))
    .map((l) => {
      const m = /^#(\d+) {2}bm25 #(\d+) {2}score (-?[\d.]+) .* \[([\w-]+)\] /.exec(l);
      expect(m, l).not.toBeNull();
      return { rank: Number(m![1]), bm25Rank: Number(m![2]), score: Number(m![3]), id: m![4]! };
    });
}

it('prints the top 5 of the BM25 candidates with both ranks, the reference scores and both timings', async () => {
  const dir = await synthesizedModelDir('tiny');
  const lines = await run('--model', dir);
  const candidates = Number(
    /^bm25: (\d+) candidates of 300 passages in [\d.]+ ms/m.exec(lines.join('\n'))![1],
  );
  expect(candidates).toBeGreaterThanOrEqual(5);
  expect(candidates).toBeLessThanOrEqual(50);
  expect(lines.join('\n')).toMatch(new RegExp(`^rerank: ${candidates} pairs in [\\d.]+ ms `, 'm'));

  const top = rows(lines);
  expect(top.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5]);
  expect(top.map((r) => r.score)).toEqual(top.map((r) => r.score).sort((a, b) => b - a));
  const bm25Ranks = top.map((r) => r.bm25Rank);
  expect(new Set(bm25Ranks).size).toBe(5);
  expect(Math.min(...bm25Ranks)).toBeGreaterThanOrEqual(1);
  expect(Math.max(...bm25Ranks)).toBeLessThanOrEqual(candidates);

  // Each printed score belongs to the printed passage (the reference forward pass, not our engine).
  const { passages } = JSON.parse(await readFile(resolve(root, 'corpus.json'), 'utf8')) as {
    passages: { id: string; text: string }[];
  };
  const texts = top.map((r) => passages.find((p) => p.id === r.id)!.text);
  const expected = await referencePairScores(dir, 'How do solar panels produce electricity?', texts);
  for (const [i, r] of top.entries()) expect(r.score).toBeCloseTo(expected[i]!, 3);
});

it('honours --query, --top and --candidates', async () => {
  const dir = await synthesizedModelDir('tiny');
  const lines = await run(
    '--model',
    dir,
    '--query',
    'Which planet is the largest?',
    '--top',
    '3',
    '--candidates',
    '10',
  );
  expect(lines).toContain('query: Which planet is the largest?');
  expect(lines.join('\n')).toMatch(/^bm25: 10 candidates of 300 passages/m);
  const top = rows(lines);
  expect(top.map((r) => r.rank)).toEqual([1, 2, 3]);
  for (const r of top) expect(r.bm25Rank).toBeLessThanOrEqual(10);
  expect(top.map((r) => r.score)).toEqual(top.map((r) => r.score).sort((a, b) => b - a));
});
