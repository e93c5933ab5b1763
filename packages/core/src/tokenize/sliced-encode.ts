import { throwIfAborted } from '../abort';
import type { TokenizedPair } from '../batching';
import type { PairEncoder, PreparedQuery } from './pair-encoder';

/**
 * How long tokenization may hold the event loop before it yields (ms). A 1000-document request takes
 * a few hundred ms to tokenize (~1.2 µs per token); in slices, a server keeps answering `/health`
 * and other requests meanwhile.
 */
export const TOKENIZE_SLICE_MS = 10;

/** Lets timers and I/O run (web standard: works in browsers and Node alike). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Encodes (query, document) pairs, giving the event loop back every `sliceMs` of work. Each distinct
 * query is prepared once. An abort between slices stops the work.
 */
export async function encodePairsSliced(
  encoder: Pick<PairEncoder, 'prepareQuery' | 'encodePair'>,
  jobs: readonly { query: string; document: string }[],
  options: { signal?: AbortSignal; sliceMs?: number } = {},
): Promise<TokenizedPair[]> {
  const sliceMs = options.sliceMs ?? TOKENIZE_SLICE_MS;
  const prepared = new Map<string, PreparedQuery>();
  const pairs: TokenizedPair[] = [];
  let sliceStart = performance.now();
  for (const job of jobs) {
    let query = prepared.get(job.query);
    if (!query) {
      query = encoder.prepareQuery(job.query);
      prepared.set(job.query, query);
    }
    pairs.push(encoder.encodePair(query, job.document));
    if (pairs.length < jobs.length && performance.now() - sliceStart >= sliceMs) {
      await yieldToEventLoop();
      throwIfAborted(options.signal);
      sliceStart = performance.now();
    }
  }
  return pairs;
}
