// The request stream of `reranker-bench cluster`: seeded, with a share of exact repeats of earlier
// requests, so the cache shared through Redis pays off when a repeat lands on another server.
import { RerankerError } from '@reranker/core';
import { seededRandom } from '@reranker/testkit';
import { makePassage, makeQuery } from './text';

export interface ClusterRequest {
  query: string;
  documents: string[];
  /** Whether this is an exact copy of an earlier request (query and documents). */
  repeat: boolean;
}

export interface ClusterWorkloadOptions {
  /** Documents per request. */
  docs: number;
  /** Words per document. */
  docWords: number;
  /** Share of requests, in [0, 1], that repeat an earlier request exactly (never the first). */
  repeatShare: number;
  seed: number;
}

/** Share in [0, 1]; anything else is an INVALID_CONFIG error naming `what`. */
export function parseShare(value: string, what = '--repeat-share'): number {
  const share = Number(value);
  if (value.trim() === '' || !Number.isFinite(share) || share < 0 || share > 1) {
    throw new RerankerError('INVALID_CONFIG', `${what} must be a number from 0 to 1, got "${value}"`);
  }
  return share;
}

/**
 * An endless stream of requests: each is a repeat with probability `repeatShare` (of an earlier fresh
 * request picked uniformly), otherwise fresh texts. The same options give the same stream.
 */
export function clusterWorkload(o: ClusterWorkloadOptions): () => ClusterRequest {
  // Two generators: whether a request repeats never shifts the texts of the fresh ones.
  const texts = seededRandom(o.seed);
  const choices = seededRandom(o.seed + 1_000_003);
  const fresh: Array<{ query: string; documents: string[] }> = [];
  return () => {
    if (fresh.length > 0 && choices() < o.repeatShare) {
      const earlier = fresh[Math.floor(choices() * fresh.length)]!;
      return { ...earlier, repeat: true };
    }
    const request = {
      query: makeQuery(texts),
      documents: Array.from({ length: o.docs }, () => makePassage(texts, o.docWords)),
    };
    fresh.push(request);
    return { ...request, repeat: false };
  };
}
