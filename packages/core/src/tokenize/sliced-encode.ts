import { throwIfAborted } from '../abort';
import type { TokenizedPair } from '../batching';
import type { KindEncoder } from '../kinds/kind';
import type { PreparedQuery } from './pair-encoder';

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

/** The clock of the slice `runSliced`'s work runs in. */
export interface SliceClock {
  /** Whether the current slice has held the thread for `sliceMs` or longer. */
  due(): boolean;
  /**
   * Gives the lane to the next waiter and resumes in a later event-loop turn, in a new slice. Rejects
   * with `ABORTED` (or the signal's `RerankerError` reason) when the signal aborted meanwhile.
   */
  yieldTurn(): Promise<void>;
}

export interface SlicedOptions {
  /** Stops the work at its next `yieldTurn()`. */
  signal?: AbortSignal;
  /** Longest slice before `due()` turns true (ms). @default TOKENIZE_SLICE_MS */
  sliceMs?: number;
}

/**
 * Runs CPU-bound work (tokenization, or planning that tokenizes) on this thread's tokenization lane,
 * the one the engine tokenizes requests on: `work` calls `if (clock.due()) await clock.yieldTurn()`
 * between small steps, and every request on the lane gets its turn, one slice per event-loop turn,
 * so the thread keeps serving timers and I/O (a server's `/health`) while long work runs.
 */
export async function runSliced<T>(
  work: (clock: SliceClock) => T | Promise<T>,
  options: SlicedOptions = {},
): Promise<T> {
  const sliceMs = options.sliceMs ?? TOKENIZE_SLICE_MS;
  throwIfAborted(options.signal);
  await acquire();
  let sliceStart = performance.now();
  const clock: SliceClock = {
    due: () => performance.now() - sliceStart >= sliceMs,
    async yieldTurn() {
      releaseAfterTurn();
      await acquire();
      sliceStart = performance.now();
      throwIfAborted(options.signal);
    },
  };
  try {
    throwIfAborted(options.signal);
    return await work(clock);
  } finally {
    releaseAfterTurn();
  }
}

/**
 * Encodes (query, document) pairs, giving the event loop back every `sliceMs` of work. Each distinct
 * (instruction, query) is prepared once. An abort between slices stops the work.
 */
export function encodePairsSliced(
  encoder: Pick<KindEncoder, 'prepareQuery' | 'encodePair'>,
  jobs: readonly { query: string; document: string; instruction?: string }[],
  options: SlicedOptions = {},
): Promise<TokenizedPair[]> {
  return runSliced(async (clock) => {
    const prepared = new Map<string | undefined, Map<string, PreparedQuery>>();
    const pairs: TokenizedPair[] = [];
    for (const job of jobs) {
      let byQuery = prepared.get(job.instruction);
      if (!byQuery) {
        byQuery = new Map();
        prepared.set(job.instruction, byQuery);
      }
      let query = byQuery.get(job.query);
      if (!query) {
        query = await encoder.prepareQuery(job.query, job.instruction);
        byQuery.set(job.query, query);
      }
      pairs.push(encoder.encodePair(query, job.document));
      if (pairs.length < jobs.length && clock.due()) await clock.yieldTurn();
    }
    return pairs;
  }, options);
}
