import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, type TestServer } from '@reranker/server/testing';
import { referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';

// The compressor itself is tested in packages/langchain; this runs the example end to end, in-process
// and through a server, and checks its printed scores against the testkit's reference forward pass.
// (The example's 12 texts and query, as index.ts has them.)

let server: TestServer;
let dir: string;
beforeAll(async () => {
  dir = await synthesizedModelDir('tiny');
  server = await startTestServer(dir);
});
afterAll(() => server?.close());

it('the example prints the same documents from the in-process and the server compressor', async () => {
  const { stdout } = await promisify(execFile)('pnpm', ['start', '--', '--model', dir, '--url', server.url], {
    cwd: resolve(import.meta.dirname, '..'),
    env: { ...process.env, RERANKER_URL: '', RERANKER_MODEL: '', RERANKER_API_KEY: '' },
  });
  const sections = stdout.split(/^RerankerCompressor \(.*\): /m).slice(1);
  expect(sections).toHaveLength(2);
  const [inProcess, viaServer] = sections.map((section) =>
    section
      .trim()
      .split('\n')
      .filter((l) => /^ {2}#\d/.test(l))
      .map((l) => {
        const m = /^ {2}#(\d) {2}relevance ([\d.]+) {2}\[(doc-\d+)\] (.*)$/.exec(l)!;
        return { rank: Number(m[1]), score: Number(m[2]), source: m[3], text: m[4]! };
      }),
  );
  expect(inProcess!.map((d) => d.rank)).toEqual([1, 2, 3]);
  const scores = inProcess!.map((d) => d.score);
  expect(scores).toEqual([...scores].sort((a, b) => b - a));
  expect(viaServer).toEqual(inProcess);
  const logits = await referencePairScores(
    dir,
    'How do solar panels produce electricity?',
    inProcess!.map((d) => d.text),
  );
  inProcess!.forEach((d, i) => {
    expect(Math.abs(d.score - 1 / (1 + Math.exp(-logits[i]!)))).toBeLessThan(1e-5);
  });
  expect(stdout).toMatch(/^RerankerCompressor \(in-process\): 3 documents$/m);
  expect(stdout).toContain(`RerankerCompressor (${server.url}): 3 documents`);
});
