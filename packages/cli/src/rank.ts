import type { RerankResult, UnifiedReRanker } from '@reranker/core';

export interface RankOptions {
  /** Keep the best `top`. @default all */
  top?: number;
  /** Documents per rerank call; progress advances by one call at a time. */
  chunkSize: number;
  /** Calls in flight at once (at most the reranker's parallel slots, so none is refused). */
  parallel: number;
  /** Called after each call with the documents scored so far. */
  onProgress?: (done: number) => void;
}

/**
 * Scores every text against the query and returns them best first, as one `rerank` call would. The
 * texts go in chunks only so progress can be shown; scores of a pair do not depend on its neighbours,
 * so the merged order (by score, ties by position, as the engine orders) equals one call's.
 */
export async function rankTexts(
  reranker: UnifiedReRanker,
  query: string,
  texts: readonly string[],
  options: RankOptions,
): Promise<RerankResult<string>[]> {
  const starts = Array.from(
    { length: Math.ceil(texts.length / options.chunkSize) },
    (_, i) => i * options.chunkSize,
  );
  const results: RerankResult<string>[] = [];
  let done = 0;
  let next = 0;
  const lane = async () => {
    while (next < starts.length) {
      const start = starts[next++]!;
      const chunk = texts.slice(start, start + options.chunkSize);
      const scored = await reranker.rerank(query, chunk, { useCache: false });
      for (const r of scored) results.push({ ...r, index: r.index + start });
      done += chunk.length;
      options.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.parallel, starts.length)) }, lane));
  results.sort((a, b) => b.score - a.score || a.index - b.index);
  return options.top === undefined ? results : results.slice(0, options.top);
}
