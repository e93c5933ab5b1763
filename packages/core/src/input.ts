import { RerankerError } from './errors';

/** A document to rerank: its text, or an object carrying it in `text` (other fields are returned untouched). */
export type RerankDocument = string | { text: string; [key: string]: unknown };

/** A (query, document) pair for `score()`. */
export type ScorePair = readonly [query: string, document: string] | { query: string; document: string };

const invalid = (message: string, field: string) =>
  new RerankerError('INVALID_INPUT', message, { details: { field } });

export function validateQuery(query: unknown, field = 'query'): string {
  if (typeof query !== 'string') {
    throw invalid(`${field} must be a string, got ${describe(query)}.`, field);
  }
  if (query.trim().length === 0) throw invalid(`${field} must not be empty.`, field);
  return query;
}

/** The texts of the documents, checking each item is a string or an object with a string `text`. */
export function documentTexts(documents: unknown): string[] {
  if (!Array.isArray(documents)) {
    throw invalid(
      `documents must be an array of strings or { text } objects, got ${describe(documents)}.`,
      'documents',
    );
  }
  return documents.map((doc, i) => {
    if (typeof doc === 'string') return doc;
    if (doc !== null && typeof doc === 'object' && typeof (doc as { text?: unknown }).text === 'string') {
      return (doc as { text: string }).text;
    }
    const field = `documents[${i}]`;
    throw invalid(
      `${field} must be a string or an object with a string "text", got ${describe(doc)}.`,
      field,
    );
  });
}

/** How many results to keep: all when omitted, otherwise a positive integer (larger than the list is fine). */
export function validateTopK(topK: unknown, count: number): number {
  if (topK === undefined || topK === null) return count;
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1) {
    throw invalid(
      `topK must be a positive integer, got ${describe(topK)}; omit it to return every document.`,
      'topK',
    );
  }
  return Math.min(topK, count);
}

export function pairsToTexts(pairs: unknown): { queries: string[]; documents: string[] } {
  if (!Array.isArray(pairs)) throw invalid(`pairs must be an array, got ${describe(pairs)}.`, 'pairs');
  const queries: string[] = [];
  const documents: string[] = [];
  pairs.forEach((pair, i) => {
    const [query, document] = Array.isArray(pair)
      ? pair
      : pair !== null && typeof pair === 'object'
        ? [(pair as { query?: unknown }).query, (pair as { document?: unknown }).document]
        : [undefined, undefined];
    queries.push(validateQuery(query, `pairs[${i}].query`));
    if (typeof document !== 'string') {
      throw invalid(
        `pairs[${i}].document must be a string, got ${describe(document)}.`,
        `pairs[${i}].document`,
      );
    }
    documents.push(document);
  });
  return { queries, documents };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? 'a long string' : JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  return typeof value === 'object' ? 'an object' : typeof value;
}
