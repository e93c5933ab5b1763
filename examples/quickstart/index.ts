import { createReranker } from '@reranker/node';

// A hub id (downloaded once into ~/.cache/reranker) or a model folder. In this repository the tests and
// examples use a synthesized model: `pnpm models:synth --preset tiny --out .models/tiny` (random weights,
// so the order it prints is meaningless; a real model such as the default ranks the answers first).
const model = process.argv[2] ?? process.env.RERANKER_MODEL ?? 'Xenova/ms-marco-MiniLM-L-6-v2';

const reranker = await createReranker({ model });
try {
  const results = await reranker.rerank(
    'How do solar panels produce electricity?',
    [
      'Photovoltaic cells turn sunlight into an electric current.',
      'The bakery on the corner sells fresh bread every morning.',
      'Solar panels feed direct current to an inverter, which makes alternating current for the home.',
      'Penguins live in the southern hemisphere.',
    ],
    { topK: 3, returnDocuments: true },
  );
  for (const { index, score, relevanceScore, document } of results) {
    console.log(`#${index}  score ${score.toFixed(4)}  relevance ${relevanceScore.toFixed(4)}  ${document}`);
  }
  const info = await reranker.info();
  console.log(`model ${info.model} (${info.source}) on ${info.backend}/${info.device}, dtype ${info.dtype}`);
} finally {
  await reranker.dispose();
}
