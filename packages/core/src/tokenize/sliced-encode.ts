import { throwIfAborted } from '../abort';
import type { TokenizedPair } from '../batching';
import type { PairEncoder, PreparedQuery } from './pair-encoder';

/**
 * How long tokenization may hold the event loop before it yields (ms). A 1000-document request takes
 * a few hundred ms to tokenize (~1.2 µs per token); in slices, a server keeps answering `/health`
 * and other requests meanwhile.
 */
export const TOKENIZE_SLICE_MS = 5;

/**
 * One lane for all tokenization on this thread: concurrent requests take turns slice by slice (FIFO),
 * and the lane passes on through a timer, so each event-loop turn runs at most one slice. (Requests
 * yielding on their own would all wake in the same timers phase and run their slices back to back.)
 */
const waiting: (() => void)[] = [];
let held = false;

function acquire(): Promise<void> {
  if (!held) {
    held = true;
    return Promise.resolve();
  }
  return new Promise((resolve) => waiting.push(resolve));
}

/** Hands the lane to the next waiter in a later event-loop turn, so timers and I/O run first. */
function releaseAfterTurn(): void {
  setTimeout(() => {
    const next = waiting.shift();
    if (next) next();
    else held = false;
  }, 0);
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
  await acquire();
  try {
    let sliceStart = performance.now();
    for (const job of jobs) {
      throwIfAborted(options.signal);
      let query = prepared.get(job.query);
      if (!query) {
        query = encoder.prepareQuery(job.query);
        prepared.set(job.query, query);
      }
      pairs.push(encoder.encodePair(query, job.document));
      if (pairs.length < jobs.length && performance.now() - sliceStart >= sliceMs) {
        releaseAfterTurn();
        await acquire();
        sliceStart = performance.now();
      }
    }
  } finally {
    releaseAfterTurn();
  }
  return pairs;
}
