import { describe, expect, it } from 'vitest';
import { longestFirst, onlySecond } from '../src/tokenize/truncation';

describe('longestFirst', () => {
  // The table of Hugging Face's Rust test `truncate_encodings_longest_first` (max_length 7 after specials):
  // lengths empty 0, short 2, medium 4, long 8 -> kept lengths.
  it.each([
    [0, 0, 0, 0],
    [0, 2, 0, 2],
    [0, 4, 0, 4],
    [0, 8, 0, 7],
    [2, 0, 2, 0],
    [2, 2, 2, 2],
    [2, 4, 2, 4],
    [2, 8, 2, 5],
    [4, 0, 4, 0],
    [4, 2, 4, 2],
    [4, 4, 3, 4],
    [4, 8, 3, 4],
    [8, 0, 7, 0],
    [8, 2, 5, 2],
    [8, 4, 4, 3],
    [8, 8, 3, 4],
  ])('query %i, document %i, budget 7 -> %i + %i', (query, document, keptQuery, keptDocument) => {
    expect(longestFirst(query, document, 7)).toEqual({ query: keptQuery, document: keptDocument });
  });

  it('handles a shorter text already over the budget (the Rust special case)', () => {
    // n1 = 12 > budget 10: both get half, the longer one (here the query) the odd token.
    expect(longestFirst(20, 12, 11)).toEqual({ query: 6, document: 5 });
    expect(longestFirst(12, 20, 11)).toEqual({ query: 5, document: 6 });
  });
});

describe('onlySecond', () => {
  it('gives the document what the query leaves, never more than it has', () => {
    expect(onlySecond(4, 100, 10)).toEqual({ query: 4, document: 6 });
    expect(onlySecond(4, 3, 10)).toEqual({ query: 4, document: 3 });
    expect(onlySecond(12, 3, 10)).toEqual({ query: 12, document: 0 });
  });
});
