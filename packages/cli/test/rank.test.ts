import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { CONFIG_VARIABLES } from '@reranker/node';
import { referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SOURCE = ['--conditions=@reranker/source', '--import', 'tsx', 'packages/cli/src/bin.ts'];
/** The installed bin as `pnpm exec reranker` runs it (its launcher runs the source through tsx). */
const LAUNCHER = ['packages/cli/bin/reranker.js'];
// The engine variables: the caller's shell must not change what a test runs.
const SCRUBBED = CONFIG_VARIABLES.flatMap((spec) => [spec.variable, ...spec.aliases]);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `reranker` as a child process from the repo root, with `input` on stdin. */
async function reranker(args: string[], input: string | Buffer, entry = SOURCE): Promise<Run> {
  const env = { ...process.env };
  for (const name of SCRUBBED) delete env[name];
  const child = spawn(process.execPath, [...entry, ...args], { cwd: ROOT, env, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdin.end(input);
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stdout, stderr };
}

/** One line of `--format jsonl` output. */
interface Line {
  index: number;
  score: number;
  relevance_score: number;
  document: unknown;
}

const jsonOut = (run: Run): Line[] =>
  run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Line);

let model: string;
beforeAll(async () => {
  model = await synthesizedModelDir('tiny');
});

/** Relevance of each text by the testkit's float64 reference pass (one label: the logit's sigmoid). */
async function reference(query: string, texts: readonly string[]) {
  const logits = await referencePairScores(model, query, texts);
  const expected = logits.map((logit, index) => ({
    index,
    score: logit,
    relevance: 1 / (1 + Math.exp(-logit)),
  }));
  return expected.sort((a, b) => b.score - a.score || a.index - b.index);
}

/** Asserts results are the reference's order and scores, `document` being `documents[index]`. */
function expectRanking(
  results: Line[],
  expected: Awaited<ReturnType<typeof reference>>,
  documents: unknown[],
) {
  expect(results.map((r) => r.index)).toEqual(expected.map((e) => e.index));
  for (const [i, r] of results.entries()) {
    expect(Object.keys(r)).toEqual(['index', 'score', 'relevance_score', 'document']);
    expect(Math.abs(r.score - expected[i]!.score)).toBeLessThan(1e-5);
    expect(Math.abs(r.relevance_score - expected[i]!.relevance)).toBeLessThan(1e-6);
    expect(r.document).toEqual(documents[r.index]);
  }
}

const QUERY = 'how do solar panels work';
const TEXTS = [
  'Solar panels turn sunlight into electricity with photovoltaic cells.',
  'Bananas are rich in potassium.',
  'The inverter converts direct current into alternating current.',
  'A recipe for lemon cake.',
];

describe('reranker rank', () => {
  it('ranks lines of text (blank lines skipped, CRLF accepted) through the installed bin', async () => {
    const input = `${TEXTS[0]}\r\n\n${TEXTS.slice(1).join('\n')}\n   \n`;
    const run = await reranker(['rank', '--model', model, '--query', QUERY], input, LAUNCHER);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expectRanking(jsonOut(run), await reference(QUERY, TEXTS), TEXTS);
  });

  it('ranks JSON lines on --field and writes back each whole object', async () => {
    const objects = TEXTS.map((body, i) => ({ id: `doc-${i}`, body, tags: ['x'] }));
    const input = objects.map((o) => JSON.stringify(o)).join('\n');
    const run = await reranker(['rank', '--model', model, '--query', QUERY, '--field', 'body'], input);
    expect(run.code).toBe(0);
    expectRanking(jsonOut(run), await reference(QUERY, TEXTS), objects);
  });

  it('ranks a JSON array of strings and objects, keeping the --top best', async () => {
    const documents = [TEXTS[0], { text: TEXTS[1], id: 7 }, TEXTS[2], { text: TEXTS[3] }];
    const input = `\n  ${JSON.stringify(documents, null, 2)}\n`;
    const run = await reranker(['rank', '--model', model, '--query', QUERY, '--top', '2'], input);
    expect(run.code).toBe(0);
    const results = jsonOut(run);
    expect(results).toHaveLength(2);
    expectRanking(results, (await reference(QUERY, TEXTS)).slice(0, 2), documents);
  });

  it('scores many documents in several calls (--batch-size, --dtype) exactly as the reference orders them', async () => {
    const texts = Array.from({ length: 37 }, (_, i) => `${TEXTS[i % TEXTS.length]} Passage ${i}.`);
    const args = ['rank', '--model', model, '--query', QUERY, '--batch-size', '2', '--dtype', 'fp32'];
    const run = await reranker(args, texts.join('\n'));
    expect(run.code).toBe(0);
    expectRanking(jsonOut(run), await reference(QUERY, texts), texts);
  });

  it('writes a table that fits the terminal, best first, cutting long documents', async () => {
    const long = `${'solar cells and panels '.repeat(20)}END`;
    const texts = [...TEXTS, long, 'two\nlines'];
    const input = JSON.stringify(texts);
    const run = await reranker(['rank', '--model', model, '--query', QUERY, '--format', 'table'], input);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^rank\s+index\s+relevance\s+score\s+document$/);
    expect(lines).toHaveLength(texts.length + 1);
    // Not a TTY: 100 columns.
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
    const expected = await reference(QUERY, texts);
    lines.slice(1).forEach((line, rank) => {
      const [position, index, relevance] = line.trim().split(/\s+/);
      expect(Number(position)).toBe(rank + 1);
      expect(Number(index)).toBe(expected[rank]!.index);
      expect(Number(relevance)).toBeCloseTo(expected[rank]!.relevance, 4);
    });
    const longRow = lines.find((line) => line.includes('solar cells and panels'))!;
    expect(longRow.endsWith('…')).toBe(true);
    expect(longRow).not.toContain('END');
    expect(run.stdout).toContain('two lines');
  });

  it('prints nothing and exits 0 for an empty input, without loading the model', async () => {
    for (const input of ['', '\n  \n']) {
      const run = await reranker(['rank', '--model', './no/such/model', '--query', QUERY], input);
      expect([run.code, run.stdout, run.stderr]).toEqual([0, '', '']);
    }
  });

  it('refuses malformed JSON lines with exit 2, naming the line', async () => {
    const input = '{"text": "a"}\n{"text": "b"}\n{"text": "c",}\n';
    const run = await reranker(['rank', '--model', model, '--query', QUERY], input);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^reranker: line 3: invalid JSON: /);
  });

  it('refuses a malformed JSON array, an object without the field and a non-string field, with exit 2', async () => {
    const cases: [string, string[], RegExp][] = [
      ['[\n  "a",\n  "b"\n  "c"\n]', [], /line 4: invalid JSON: .*use --input text/],
      ['{"text": "a"}\n\n{"body": "b"}', [], /line 3: the object has no string "text" field .*--field/],
      [
        '["a", {"title": 5}]',
        ['--field', 'title'],
        /element 1: the object has no string "title" field \(got a number\)/,
      ],
      ['["a", 5]', [], /element 1: expected a string or an object/],
    ];
    for (const [input, extra, message] of cases) {
      const run = await reranker(['rank', '--model', model, '--query', QUERY, ...extra], input);
      expect([run.code, run.stdout]).toEqual([2, '']);
      expect(run.stderr).toMatch(message);
    }
  });

  // Ten child processes in a row: a generous timeout for a busy machine.
  it('refuses bad usage with exit 2 and a message naming the flag', { timeout: 180_000 }, async () => {
    const cases: [string[], RegExp, string?][] = [
      [['rank', '--model', model], /required option '-q, --query <text>' not specified/],
      [['rank', '--model', model, '--query', '  '], /the query must not be empty/],
      [['rank', '--query', QUERY], /required option '--model <id\|folder>' not specified/],
      [['rank', '--model', model, '--query', QUERY, '--top', '0'], /--top <n>.*whole number of at least 1/],
      [
        ['rank', '--model', model, '--query', QUERY, '--dtype', 'fp64'],
        /--dtype="fp64" is not valid: use fp32, fp16 or q8/,
      ],
      [['rank', '--model', model, '--query', QUERY, '--max-length', '8'], /must be below --max-length=8/],
      [
        ['rank', '--model', model, '--query', QUERY, '--input', 'xml'],
        /--input.*Allowed choices are text, jsonl, json/,
      ],
      [
        ['rank', '--model', model, '--query', QUERY, '--field', 'body'],
        /--field applies to JSON input/,
        'a\nb\n',
      ],
      [
        ['rank', '--model', model, '--query', QUERY, '--input', 'jsonl'],
        /line 1: invalid JSON/,
        'plain text\n',
      ],
      [[], /Usage: reranker/],
    ];
    for (const [args, message, input = 'a document\n'] of cases) {
      const run = await reranker(args, input);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(run.stderr).toMatch(message);
    }
  });

  it('refuses input that is not UTF-8 with exit 2', async () => {
    const run = await reranker(['rank', '--model', model, '--query', QUERY], Buffer.from([0x61, 0xff, 0x0a]));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('not valid UTF-8');
  });

  it('exits 1 with a clear message when the model folder does not exist', async () => {
    const run = await reranker(['rank', '--model', './no/such/model', '--query', QUERY], 'a document\n');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^reranker: cannot load the model: .*no\/such\/model does not exist: point --model at/,
    );
  });
});
