// First stage of `eval`: BM25 over the corpus with minisearch, as examples/rag-basic retrieves.
import MiniSearch from 'minisearch';
import type { Passage } from './eval-dataset';

// Question words would match nearly every passage and drown the terms that matter; the same short
// list as examples/rag-basic, plus a few more function words.
const STOP_WORDS = new Set(
  'a an and are as at be by do does for from how in is it of on or that the to was what when where which who why with'.split(
    ' ',
  ),
);

export interface Bm25Hit {
  id: string;
  score: number;
}

/** A BM25 index of the corpus over title and text (minisearch's BM25+, no prefix or fuzzy matching). */
export function bm25Index(corpus: readonly Passage[]): (query: string, depth: number) => Bm25Hit[] {
  const index = new MiniSearch<Passage>({
    idField: '_id',
    fields: ['title', 'text'],
    processTerm: (term) => {
      const lower = term.toLowerCase();
      return STOP_WORDS.has(lower) ? null : lower;
    },
  });
  index.addAll(corpus);
  return (query, depth) =>
    index
      .search(query)
      .slice(0, depth)
      .map((hit) => ({ id: String(hit.id), score: hit.score }));
}

/** The text a cross-encoder reads for a passage: its title and text, as BEIR's rerankers join them. */
export function passageText(passage: Passage): string {
  return `${passage.title} ${passage.text}`.trim();
}
