import { parseArgs } from 'node:util';
import { ContextualCompressionRetriever } from '@langchain/classic/retrievers/contextual_compression';
import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
import type { BaseDocumentCompressor } from '@langchain/core/retrievers/document_compressors';
import { RerankerCompressor } from '@reranker/langchain';
import { HashingEmbeddings } from './src/hashing-embeddings';

// A LangChain.js retriever with a reranking step: a vector store returns 8 candidates, a document
// compressor backed by the reranker keeps the best 3. No LLM and no network (but the optional server).

// `pnpm --filter langchain start -- --model …` hands the script a literal `--`: drop it before parsing.
const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values } = parseArgs({
  args: argv,
  options: {
    // Rerank in-process with this model (hub id or folder), and/or through the server at --url.
    model: { type: 'string' },
    url: { type: 'string', default: process.env.RERANKER_URL || undefined },
    query: { type: 'string', default: 'How do solar panels produce electricity?' },
    top: { type: 'string', default: '3' },
  },
});
const topN = Number(values.top);
if (!Number.isInteger(topN) || topN < 1)
  throw new Error(`--top must be a positive integer, got "${values.top}"`);
const model =
  values.model ?? (values.url ? undefined : process.env.RERANKER_MODEL || 'Xenova/ms-marco-MiniLM-L-6-v2');

const texts = [
  'Photovoltaic cells turn sunlight into an electric current.',
  'Solar panels feed direct current to an inverter, which makes alternating current for the home.',
  'The output of solar panels falls on cloudy days and stops at night.',
  'Wind turbines turn the kinetic energy of moving air into electricity.',
  'Hydroelectric dams generate power by letting water flow through turbines.',
  'The bakery on the corner sells fresh bread every morning.',
  'Penguins live in the southern hemisphere.',
  'A heat pump moves heat from the outside air into a building.',
  'Lithium-ion batteries store energy by moving lithium ions between the electrodes.',
  'The Sun is a star that holds most of the mass of the Solar System.',
  'Electric cars use a battery and an electric motor instead of a combustion engine.',
  'A reranker orders passages by their relevance to a query.',
];
const store = await MemoryVectorStore.fromTexts(
  texts,
  texts.map((_, i) => ({ source: `doc-${i}` })),
  new HashingEmbeddings(),
);
const baseRetriever = store.asRetriever({ k: 8 });
console.log(`query: ${values.query}`);
console.log(`base retriever: MemoryVectorStore (hashing embeddings), ${texts.length} documents, k = 8`);

async function show(label: string, baseCompressor: BaseDocumentCompressor): Promise<void> {
  const retriever = new ContextualCompressionRetriever({ baseCompressor, baseRetriever });
  const documents = await retriever.invoke(values.query);
  console.log(`${label}: ${documents.length} documents`);
  documents.forEach(({ pageContent, metadata }, i) => {
    console.log(
      `  #${i + 1}  relevance ${metadata.relevanceScore.toFixed(5)}  [${metadata.source}] ${pageContent}`,
    );
  });
}

if (model) {
  // Built from createReranker options, the compressor owns its engine: dispose() frees it.
  const compressor = new RerankerCompressor({ reranker: { model }, topN });
  try {
    await show('RerankerCompressor (in-process)', compressor);
  } finally {
    await compressor.dispose();
  }
}
if (values.url) {
  const compressor = new RerankerCompressor({
    baseURL: values.url,
    topN,
    apiKey: process.env.RERANKER_API_KEY,
  });
  await show(`RerankerCompressor (${values.url})`, compressor);
}
