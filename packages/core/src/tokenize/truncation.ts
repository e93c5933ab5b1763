/**
 * How a pair longer than the model's limit is cut:
 * - `only_second`: the query is cut to `maxQueryTokens` first, then only the document is cut;
 * - `longest_first`: Hugging Face's rule, which shortens whichever text is longer.
 */
export type TruncationStrategy = 'only_second' | 'longest_first';

export const TRUNCATION_STRATEGIES: readonly TruncationStrategy[] = ['only_second', 'longest_first'];

/** Kept lengths of the query and the document, special tokens not counted. */
export interface KeptLengths {
  query: number;
  document: number;
}

/**
 * `longest_first` as Hugging Face's fast tokenizers do it (Rust `tokenizers`, utils/truncation.rs):
 * with n1 <= n2 the two lengths, the shorter keeps what it has if the longer still gets at least as
 * much, else both get half the budget (the longer, or the document on a tie, gets the odd token).
 * Lengths are only ever cut, never grown.
 */
export function longestFirst(query: number, document: number, budget: number): KeptLengths {
  if (query + document <= budget) return { query, document };
  const swap = query > document;
  let n1 = swap ? document : query;
  let n2: number;
  // n1 > budget is a special case in Rust too: budget - n1 would underflow there.
  if (n1 > budget) n2 = n1;
  else n2 = Math.max(n1, budget - n1);
  if (n1 + n2 > budget) {
    n1 = Math.floor(budget / 2);
    n2 = n1 + (budget % 2);
  }
  const [q, d] = swap ? [n2, n1] : [n1, n2];
  return { query: Math.min(query, q), document: Math.min(document, d) };
}

/** `only_second`: the (already cut) query is kept whole and the document gets the rest of the budget. */
export function onlySecond(query: number, document: number, budget: number): KeptLengths {
  return { query, document: Math.max(0, Math.min(document, budget - query)) };
}
