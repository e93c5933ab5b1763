import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Document } from '@langchain/core/documents';
import { referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RerankerCompressor } from '../src/reranker-compressor';
import { RerankerServerCompressor } from '../src/server-compressor';
import { startServer } from './server';

// Over a synthesized model (random weights) the order means nothing: these tests check the structure
// (top-k, best first, metadata kept) and the scores against the testkit's reference forward pass.
const QUERY = 'How do solar panels produce electricity?';
const TEXTS = [
  'Photovoltaic cells turn sunlight into an electric current.',
  'The bakery on the corner sells fresh bread every morning.',
  'Solar panels feed direct current to an inverter.',
  'Penguins live in the southern hemisphere.',
  'Wind turbines turn moving air into electricity.',
];

let server: Awaited<ReturnType<typeof startServer>>;
let dir: string;
beforeAll(async () => {
  dir = await synthesizedModelDir('tiny');
  server = await startServer(dir);
});
afterAll(() => server?.close());

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

it('both compressors keep the top k, best first, with relevanceScore added to the metadata', async () => {
  const documents = TEXTS.map(
    (pageContent, i) => new Document({ pageContent, metadata: { source: `d${i}` } }),
  );
  const logits = await referencePairScores(dir, QUERY, TEXTS);
  const expected = logits
    .map((logit, i) => ({ source: `d${i}`, relevanceScore: sigmoid(logit) }))
    .sort((a, b) => b.relevanceScore - a.relevanceScore)
    .slice(0, 3);

  const inProcess = await new RerankerCompressor({ reranker: server.reranker, topK: 3 }).compressDocuments(
    documents,
    QUERY,
  );
  const viaServer = await new RerankerServerCompressor({ url: server.url, topK: 3 }).compressDocuments(
    documents,
    QUERY,
  );
  for (const result of [inProcess, viaServer]) {
    expect(result.map((d) => d.metadata.source)).toEqual(expected.map((e) => e.source));
    result.forEach((d, i) => {
      expect(d.metadata.relevanceScore).toBeCloseTo(expected[i]!.relevanceScore, 4);
      expect(d.pageContent).toBe(TEXTS[Number(d.metadata.source.slice(1))]);
    });
  }
  // The inputs are left as they were.
  expect(documents.every((d) => !('relevanceScore' in d.metadata))).toBe(true);
  expect(await new RerankerCompressor({ reranker: server.reranker }).compressDocuments([], QUERY)).toEqual(
    [],
  );
  expect(await new RerankerServerCompressor({ url: server.url }).compressDocuments([], QUERY)).toEqual([]);
});

it('the example prints the same documents from the in-process and the server compressor', async () => {
  const { stdout } = await promisify(execFile)('pnpm', ['start', '--', '--model', dir, '--url', server.url], {
    cwd: resolve(import.meta.dirname, '..'),
    env: { ...process.env, RERANKER_URL: '', RERANKER_MODEL: '', RERANKER_API_KEY: '' },
  });
  const sections = stdout.split(/^Reranker\w+ \(.*\): /m).slice(1);
  expect(sections).toHaveLength(2);
  const [inProcess, viaServer] = sections.map((section) =>
    section
      .trim()
      .split('\n')
      .filter((l) => /^ {2}#\d/.test(l))
      .map((l) => {
        const m = /^ {2}#(\d) {2}relevance ([\d.]+) {2}\[(doc-\d+)\] /.exec(l)!;
        return { rank: Number(m[1]), score: Number(m[2]), source: m[3] };
      }),
  );
  expect(inProcess!.map((d) => d.rank)).toEqual([1, 2, 3]);
  const scores = inProcess!.map((d) => d.score);
  expect(scores).toEqual([...scores].sort((a, b) => b - a));
  expect(viaServer).toEqual(inProcess);
  expect(stdout).toMatch(/^RerankerCompressor \(in-process\): 3 documents$/m);
  expect(stdout).toContain(`RerankerServerCompressor (${server.url}): 3 documents`);
});
