import { longestFirst, onlySecond, runSliced, type UnifiedReRanker } from '@reranker/core';

/** What the model read of one (query, document) pair. */
export interface PairTokens {
  /** Tokens of the pair as the model ran it: kept query and document tokens plus special tokens. */
  tokens: number;
  /** Whether the query or the document was cut to fit the model's window. */
  truncated: boolean;
}

/** The window facts of `UnifiedReRanker.info()` that decide how a pair is cut. */
export interface PairWindow {
  maxLength: number;
  maxQueryTokens: number;
  pairSpecialTokens: number;
  truncation: string;
}

/**
 * Tokens each (query, document) pair uses and whether it was cut, by the same rules the engine's pair
 * encoder applies (`onlySecond` / `longestFirst` of @reranker/core). Counting stops one token past what
 * the rule can tell apart, so a 2 MB document costs no more than one that just overflows. Runs on the
 * tokenization lane in slices, so a long list does not hold the event loop.
 */
export function pairTokens(
  reranker: Pick<UnifiedReRanker, 'countTokens'>,
  window: PairWindow,
  query: string,
  documents: readonly string[],
  signal?: AbortSignal,
): Promise<PairTokens[]> {
  const budget = window.maxLength - window.pairSpecialTokens;
  const count = (text: string, atMost: number) => reranker.countTokens(text, { atMost });
  return runSliced(
    async (clock) => {
      const out: PairTokens[] = [];
      if (window.truncation === 'longest_first') {
        const q = count(query, budget + 1);
        for (const document of documents) {
          const d = count(document, budget + 2);
          const kept = longestFirst(q, d, budget);
          out.push(result(kept, q, d, window));
          if (clock.due()) await clock.yieldTurn();
        }
        return out;
      }
      // only_second: the query is cut to maxQueryTokens first, then only the document.
      const q = count(query, window.maxQueryTokens + 1);
      const queryKept = Math.min(q, window.maxQueryTokens);
      for (const document of documents) {
        const d = count(document, Math.max(0, budget - queryKept) + 1);
        out.push(result(onlySecond(queryKept, d, budget), q, d, window));
        if (clock.due()) await clock.yieldTurn();
      }
      return out;
    },
    { signal },
  );
}

function result(
  kept: { query: number; document: number },
  query: number,
  document: number,
  window: PairWindow,
): PairTokens {
  return {
    tokens: kept.query + kept.document + window.pairSpecialTokens,
    truncated: kept.query < query || kept.document < document,
  };
}
