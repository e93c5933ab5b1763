import { describe, expect, it } from 'vitest';
import { RerankerError } from '../src/errors';
import { documentTexts, pairsToTexts, validateQuery, validateTopK } from '../src/input';

function codeAndField(fn: () => unknown): [string, unknown] {
  try {
    fn();
  } catch (error) {
    if (error instanceof RerankerError) return [error.code, error.details?.field];
    throw error;
  }
  throw new Error('expected a RerankerError');
}

describe('input validation', () => {
  it('accepts strings and { text } objects', () => {
    expect(documentTexts(['a', { text: 'b', id: 7 }])).toEqual(['a', 'b']);
    expect(documentTexts([])).toEqual([]);
  });

  it.each([
    ['a number item', () => documentTexts(['ok', 42]), 'documents[1]'],
    ['null item', () => documentTexts([null]), 'documents[0]'],
    ['object without text', () => documentTexts([{ body: 'x' }]), 'documents[0]'],
    ['not an array', () => documentTexts('abc'), 'documents'],
    ['empty query', () => validateQuery('   '), 'query'],
    ['non-string query', () => validateQuery(5), 'query'],
    ['topK 0', () => validateTopK(0, 3), 'topK'],
    ['negative topK', () => validateTopK(-1, 3), 'topK'],
    ['fractional topK', () => validateTopK(1.5, 3), 'topK'],
    ['pair without document', () => pairsToTexts([['q']]), 'pairs[0].document'],
    ['pair with empty query', () => pairsToTexts([{ query: '', document: 'd' }]), 'pairs[0].query'],
  ])('%s → INVALID_INPUT naming the field', (_, fn, field) => {
    expect(codeAndField(fn)).toEqual(['INVALID_INPUT', field]);
  });

  it('topK larger than the list keeps every document; omitted keeps all', () => {
    expect(validateTopK(10, 3)).toBe(3);
    expect(validateTopK(undefined, 3)).toBe(3);
    expect(validateTopK(2, 3)).toBe(2);
  });

  it('pairs as tuples or objects', () => {
    expect(pairsToTexts([['q1', 'd1'], { query: 'q2', document: 'd2' }])).toEqual({
      queries: ['q1', 'q2'],
      documents: ['d1', 'd2'],
    });
  });
});
