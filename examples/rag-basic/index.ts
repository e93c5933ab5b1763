import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createReranker } from '@reranker/node';
import MiniSearch from 'minisearch';

// Retrieve-then-rerank: BM25 (minisearch) picks candidates from the whole corpus cheaply, then a
// cross-encoder reads each (query, candidate) pair and orders the candidates by relevance.
interface Passage {
  id: string;
  topic: string;
  text: string;
}

// `pnpm --filter rag-basic start -- --model …` hands the script a literal `--`: drop it before parsing.
const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values } = parseArgs({
  args: argv,
  options: {
    // A hub id (downloaded once into ~/.cache/reranker) or a model folder.
    model: { type: 'string', default: process.env.RERANKER_MODEL || 'Xenova/ms-marco-MiniLM-L-6-v2' },
    query: { type: 'string', default: 'How do solar panels produce electricity?' },
    top: { type: 'string', default: '5' },
    candidates: { type: 'string', default: '50' },
  },
});
const top = positiveInt(values.top, '--top');
const candidates = positiveInt(values.candidates, '--candidates');

const corpusFile = new URL('./corpus.json', import.meta.url);
const { passages } = JSON.parse(await readFile(corpusFile, 'utf8')) as { passages: Passage[] };

// Stage 1: BM25. minisearch scores with BM25+; dropping the commonest words keeps "how do …" from
// matching every passage.
const STOP_WORDS = new Set([
  'a',
  'an',
  'and',
  'are',
  'do',
  'does',
  'how',
  'in',
  'is',
  'of',
  'the',
  'to',
  'what',
]);
const index = new MiniSearch<Passage>({
  fields: ['text'],
  storeFields: ['text'],
  processTerm: (term) => (STOP_WORDS.has(term.toLowerCase()) ? null : term.toLowerCase()),
});
index.addAll(passages);

let started = performance.now();
const hits = index.search(values.query).slice(0, candidates);
const bm25Ms = performance.now() - started;
console.log(`query: ${values.query}`);
console.log(
  `bm25: ${hits.length} candidates of ${passages.length} passages in ${bm25Ms.toFixed(1)} ms (minisearch)`,
);
if (hits.length === 0) {
  console.log('no passage shares a word with the query; nothing to rerank');
  process.exit(0);
}

// Stage 2: the cross-encoder over the BM25 candidates only.
started = performance.now();
const reranker = await createReranker({ model: values.model });
const loadMs = performance.now() - started;
try {
  started = performance.now();
  const results = await reranker.rerank(
    values.query,
    hits.map((hit) => hit.text as string),
    { topK: top },
  );
  const rerankMs = performance.now() - started;
  const info = await reranker.info();
  console.log(
    `rerank: ${hits.length} pairs in ${rerankMs.toFixed(1)} ms (${info.model} on ${info.backend}/${info.device}; model load ${loadMs.toFixed(0)} ms, not counted)`,
  );
  console.log(`top ${results.length}:`);
  results.forEach(({ index: candidate, score, relevanceScore }, i) => {
    const hit = hits[candidate]!;
    console.log(
      `#${i + 1}  bm25 #${candidate + 1}  score ${score.toFixed(4)}  relevance ${relevanceScore.toFixed(4)}  bm25 ${hit.score.toFixed(2)}  [${hit.id}] ${hit.text}`,
    );
  });
} finally {
  await reranker.dispose();
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got "${text}"`);
  return n;
}
