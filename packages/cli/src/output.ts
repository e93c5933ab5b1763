import type { RerankResult } from '@reranker/core';
import type { InputDocument } from './documents';

/** How results are written: JSON lines for programs, a table for people. */
export type OutputFormat = 'jsonl' | 'table';
export const OUTPUT_FORMATS = ['jsonl', 'table'] as const satisfies readonly OutputFormat[];

/** One JSON object per line, best first: `index`, `score`, `relevance_score`, `document` (as given). */
export function jsonLines(
  results: readonly RerankResult<string>[],
  documents: readonly InputDocument[],
): string {
  return results
    .map((r) =>
      JSON.stringify({
        index: r.index,
        score: r.score,
        relevance_score: r.relevanceScore,
        document: documents[r.index]!.document,
      }),
    )
    .map((line) => `${line}\n`)
    .join('');
}

const HEADERS = ['rank', 'index', 'relevance', 'score', 'document'] as const;
/** The narrowest document column, even on a tiny terminal. */
const MIN_TEXT = 20;

/**
 * A table that fits `width` columns: numbers right-aligned, each document's text on one line (line
 * breaks and tabs become spaces) and cut with `…` where the terminal would wrap it.
 */
export function table(
  results: readonly RerankResult<string>[],
  documents: readonly InputDocument[],
  width: number,
): string {
  const rows = results.map((r, rank) => [
    String(rank + 1),
    String(r.index),
    r.relevanceScore.toFixed(4),
    r.score.toFixed(4),
    documents[r.index]!.text,
  ]);
  const numeric = [0, 1, 2, 3].map((col) =>
    Math.max(HEADERS[col]!.length, ...rows.map((row) => row[col]!.length)),
  );
  const fixed = numeric.reduce((sum, w) => sum + w + 2, 0);
  const textWidth = Math.max(MIN_TEXT, width - fixed);
  const line = (cells: readonly string[]) =>
    [...numeric.map((w, col) => cells[col]!.padStart(w)), truncate(oneLine(cells[4]!), textWidth)].join('  ');
  return [line(HEADERS), ...rows.map(line)].map((l) => `${l.trimEnd()}\n`).join('');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Cuts by code points, so no surrogate pair is split. */
function truncate(text: string, width: number): string {
  const chars = Array.from(text);
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join('')}…`;
}
