import { execFile } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, type TestServer } from '@reranker/server/testing';
import { referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';

// The example runs as the README says against reranker-server's app in this process, over a
// synthesized model: random weights, so only the structure of the ranking is checked, plus the scores
// against the testkit's independent reference forward pass.
const QUERY = 'How do solar panels produce electricity?';
const DOCUMENTS = [
  'Photovoltaic cells turn sunlight into an electric current.',
  'The bakery on the corner sells fresh bread every morning.',
  'Solar panels feed direct current to an inverter, which makes alternating current for the home.',
  'Penguins live in the southern hemisphere.',
  'Wind turbines turn the kinetic energy of moving air into electricity.',
  'A reranker orders passages by their relevance to a query.',
];

let server: TestServer;
let dir: string;
beforeAll(async () => {
  dir = await synthesizedModelDir('tiny');
  server = await startTestServer(dir);
});
afterAll(() => server?.close());

async function run(args: string[], env: Record<string, string> = {}): Promise<string[]> {
  const { stdout } = await promisify(execFile)('pnpm', ['start', ...args], {
    cwd: resolve(import.meta.dirname, '..'),
    env: { ...process.env, RERANKER_URL: '', RERANKER_API_KEY: '', ...env },
  });
  return stdout.trim().split('\n');
}

function ranking(lines: string[], prefix: 'cohere' | 'ai-sdk' | 'tei'): { index: number; score: number }[] {
  return lines
    .filter((l) => l.startsWith(`${prefix} #`))
    .map((l) => {
      const m = /^[\w-]+ #\d+ {2}index (\d+) {2}\w+ ([\d.]+) {2}/.exec(l)!;
      return { index: Number(m[1]), score: Number(m[2]) };
    });
}

it('ranks the same way through cohere-ai, the AI SDK and a TEI fetch, with --url', async () => {
  const lines = await run(['--', '--url', `${server.url}/`]);
  expect(lines).toContain(`server: ${server.url}`);
  const cohere = ranking(lines, 'cohere');
  const sdk = ranking(lines, 'ai-sdk');
  const tei = ranking(lines, 'tei');
  expect(cohere).toHaveLength(DOCUMENTS.length);
  expect(sdk).toEqual(cohere);
  expect(tei).toEqual(cohere);
  expect(new Set(cohere.map((r) => r.index)).size).toBe(DOCUMENTS.length);
  const scores = cohere.map((r) => r.score);
  expect(scores).toEqual([...scores].sort((a, b) => b - a));
  expect(lines.at(-1)).toBe('same ranking: yes');

  // Relevance is the sigmoid of the reference logit of the document at that index.
  const logits = await referencePairScores(dir, QUERY, DOCUMENTS);
  for (const r of cohere) expect(r.score).toBeCloseTo(1 / (1 + Math.exp(-logits[r.index]!)), 4);
});

it('takes the base URL from RERANKER_URL, and says what failed when nothing listens there', async () => {
  const lines = await run([], { RERANKER_URL: server.url });
  expect(lines).toContain(`server: ${server.url}`);
  expect(lines.at(-1)).toBe('same ranking: yes');

  // A port that was free a moment ago: nothing listens there.
  const port = await new Promise<number>((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => done(port));
    });
  });
  const failed = await run(['--', '--url', `http://127.0.0.1:${port}`]).catch((e: unknown) => e);
  expect(failed).toMatchObject({
    code: 1,
    stderr: expect.stringContaining(`request to http://127.0.0.1:${port} failed`),
  });
});
