// The BEIR reader on the shipped fixture and on broken folders, and the fixture against its generator.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { beirMiniFiles } from '../fixtures/beir-mini/generate';
import { BEIR_MINI } from '../src/cli-eval';
import { bm25Index } from '../src/eval-bm25';
import { loadBeir } from '../src/eval-dataset';

describe('the beir-mini fixture', () => {
  it('is what generate.ts writes, byte for byte', async () => {
    for (const [path, text] of Object.entries(beirMiniFiles())) {
      expect(await readFile(join(BEIR_MINI, path), 'utf8'), path).toBe(text);
    }
  });

  it('has 340 passages, 42 queries with 6 passages judged 2 and 4 judged 1 each', async () => {
    const data = await loadBeir(BEIR_MINI, 'test');
    expect(data.corpus).toHaveLength(340);
    expect(data.queries).toHaveLength(42);
    expect(data).toMatchObject({ skippedQueries: 0, unknownPassages: 0 });
    for (const q of data.queries) {
      const grades = [...q.judgements.values()];
      expect(
        grades.filter((g) => g === 2),
        q._id,
      ).toHaveLength(6);
      expect(
        grades.filter((g) => g === 1),
        q._id,
      ).toHaveLength(4);
      expect(
        grades.filter((g) => g === 0),
        q._id,
      ).toHaveLength(2);
    }
    const total = (await Promise.all(Object.keys(beirMiniFiles()).map((p) => readFile(join(BEIR_MINI, p)))))
      .map((b) => b.length)
      .reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(200_000);
  });

  it('BM25 puts a focused passage first for a query that names its topic', async () => {
    const data = await loadBeir(BEIR_MINI, 'test');
    const search = bm25Index(data.corpus);
    const hits = search('how to check knitting gauge before starting a sweater', 10);
    expect(hits[0]!.id).toMatch(/^knit-[0-5]$/);
    expect(search('the and of', 10)).toEqual([]); // stop words only: no hit
  });
});

describe('loadBeir on broken folders', () => {
  const root = mkdtemp(join(tmpdir(), 'bench-beir-'));
  afterAll(async () => rm(await root, { recursive: true, force: true }));

  async function folder(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(await root, 'd-'));
    const all = {
      'corpus.jsonl': '{"_id":"p1","title":"","text":"alpha"}\n{"_id":2,"text":"beta"}\n',
      'queries.jsonl': '{"_id":"q1","text":"alpha"}\n{"_id":"q2","text":"beta"}\n',
      'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\tp1\t1\nq2\t2\t0\nq1\tgone\t2\n',
      ...files,
    };
    await mkdir(join(dir, 'qrels'));
    for (const [path, text] of Object.entries(all)) await writeFile(join(dir, path), text);
    return dir;
  }

  it('reads numeric ids and a missing title, skips all-zero queries, counts unknown passages', async () => {
    const data = await loadBeir(await folder({}), 'test');
    expect(data.corpus.map((p) => [p._id, p.title])).toEqual([
      ['p1', ''],
      ['2', ''],
    ]);
    expect(data.queries.map((q) => q._id)).toEqual(['q1']);
    expect(data).toMatchObject({ skippedQueries: 1, unknownPassages: 1 });
  });

  it('names the file and line of bad input', async () => {
    await expect(loadBeir(await folder({ 'corpus.jsonl': '{"_id":"p1"}\n' }), 'test')).rejects.toThrow(
      /corpus\.jsonl:1: "text" must be a string/,
    );
    await expect(loadBeir(await folder({ 'queries.jsonl': 'nope\n' }), 'test')).rejects.toThrow(
      /queries\.jsonl:1: not a JSON object/,
    );
    await expect(
      loadBeir(await folder({ 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1 p1 1\n' }), 'test'),
    ).rejects.toThrow(/test\.tsv:2: expected/);
    await expect(loadBeir(await folder({ 'qrels/test.tsv': 'q9\tp1\t1\n' }), 'test')).rejects.toThrow(
      /query 'q9' is not in queries\.jsonl/,
    );
    await expect(loadBeir(await folder({ 'qrels/test.tsv': 'q1\tp1\t0\n' }), 'test')).rejects.toThrow(
      /no query has a judgement with score > 0/,
    );
    await expect(loadBeir(await folder({}), 'dev')).rejects.toThrow(/cannot read .*dev\.tsv/);
    await expect(loadBeir(await folder({}), '../x')).rejects.toThrow(/--split must be a file name/);
  });
});
