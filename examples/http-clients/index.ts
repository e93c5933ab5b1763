import { parseArgs } from 'node:util';
import { rerankerServer } from '@reranker/ai-sdk';
import { rerank } from 'ai';
import { CohereClientV2 } from 'cohere-ai';

// Three clients of a running reranker-server: the official Cohere SDK, the Vercel AI SDK's rerank()
// with this project's provider, and a plain fetch in the Hugging Face TEI format. The first and last
// know nothing about this project; only the base URL changes.

// `pnpm --filter http-clients start -- --url …` hands the script a literal `--`: drop it before parsing.
const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values } = parseArgs({
  args: argv,
  options: {
    url: { type: 'string', default: process.env.RERANKER_URL || 'http://127.0.0.1:8000' },
    query: { type: 'string', default: 'How do solar panels produce electricity?' },
  },
});
const baseUrl = values.url.replace(/\/+$/, '');
// Only needed when the server sets API_KEYS; every client sends it as `Authorization: Bearer …`.
const apiKey = process.env.RERANKER_API_KEY ?? '';
const query = values.query;
const documents = [
  'Photovoltaic cells turn sunlight into an electric current.',
  'The bakery on the corner sells fresh bread every morning.',
  'Solar panels feed direct current to an inverter, which makes alternating current for the home.',
  'Penguins live in the southern hemisphere.',
  'Wind turbines turn the kinetic energy of moving air into electricity.',
  'A reranker orders passages by their relevance to a query.',
];

console.log(`server: ${baseUrl}`);
console.log(`query: ${query}`);
try {
  // 1. cohere-ai, unchanged but for `environment` (its base URL): POST {url}/v2/rerank.
  const cohere = new CohereClientV2({ token: apiKey, environment: baseUrl, maxRetries: 0 });
  // The server answers any model name with the model it serves (unless STRICT_MODEL_NAMES is set).
  const v2 = await cohere.rerank({ model: 'rerank-v3.5', query, documents });
  console.log('cohere-ai CohereClientV2, POST /v2/rerank:');
  for (const [i, r] of v2.results.entries()) {
    console.log(
      `cohere #${i + 1}  index ${r.index}  relevance ${r.relevanceScore.toFixed(5)}  ${documents[r.index]}`,
    );
  }

  // 2. The AI SDK's rerank() with @reranker/ai-sdk's server provider: POST {url}/v2/rerank as well.
  const sdk = await rerank({
    model: rerankerServer({ baseURL: baseUrl, ...(apiKey && { apiKey }) }),
    query,
    documents,
    maxRetries: 0,
  });
  console.log('ai rerank() with rerankerServer, POST /v2/rerank:');
  for (const [i, r] of sdk.ranking.entries()) {
    console.log(`ai-sdk #${i + 1}  index ${r.originalIndex}  relevance ${r.score.toFixed(5)}  ${r.document}`);
  }

  // 3. Plain fetch in the TEI format: POST {url}/rerank with `texts` -> a bare array, best first.
  const response = await fetch(`${baseUrl}/rerank`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey && { authorization: `Bearer ${apiKey}` }) },
    body: JSON.stringify({ query, texts: documents }),
  });
  if (!response.ok) throw new Error(`POST /rerank: HTTP ${response.status} ${await response.text()}`);
  const tei = (await response.json()) as { index: number; score: number }[];
  console.log('fetch, TEI POST /rerank:');
  for (const [i, r] of tei.entries()) {
    console.log(`tei #${i + 1}  index ${r.index}  score ${r.score.toFixed(5)}  ${documents[r.index]}`);
  }

  const order = v2.results.map((r) => r.index).join();
  const same =
    order === sdk.ranking.map((r) => r.originalIndex).join() && order === tei.map((r) => r.index).join();
  console.log(`same ranking: ${same ? 'yes' : 'no'}`);
  if (!same) process.exitCode = 1;
} catch (error) {
  // fetch reports a refused connection as "fetch failed" with the reason in `cause`.
  const { message, cause } = error as Error & { cause?: { code?: string } };
  console.error(`request to ${baseUrl} failed: ${message}${cause?.code ? ` (${cause.code})` : ''}`);
  console.error(
    'Is a reranker-server running there? From the repository root: RERANKER_MODEL=./.models/tiny pnpm start',
  );
  // Exit now: cohere-ai leaves its request-timeout timer (5 minutes) running after a network error.
  process.exit(1);
}
