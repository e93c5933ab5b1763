import { type BatchLimits, batchFits, batchKey, type TokenizedPair } from './batching';
import type { CachedLogits } from './cache/contract';
import type { ScoringUsage } from './usage';

/** One pair waiting in the scheduler, with its caller's promise. */
export interface Entry {
  pair: TokenizedPair;
  ticket: Ticket;
  settled: boolean;
  resolve(logits: CachedLogits): void;
  reject(error: unknown): void;
}

/** One request's pending pairs, shortest first. */
export interface Ticket {
  entries: Entry[];
  next: number;
  usage: ScoringUsage;
  enqueuedAt: number;
  /** Entries not yet resolved or rejected; the abort listener goes when it reaches 0. */
  unsettled: number;
  detach(): void;
}

/** A batch to run, and how far each request's cursor moves when it starts. */
export interface Plan {
  entries: Entry[];
  width: number;
  size: number;
  /** No more pairs would fit (rows or padding limits reached): no reason to wait for more. */
  full: boolean;
  advance: Map<Ticket, number>;
}

/**
 * The next batch over `tickets`: round-robin over requests from `cursor`, each request's pairs
 * shortest first, within the row, token and padding limits; all pairs of one batch share a prefix
 * (`batchKey`).
 */
export function planBatch(tickets: readonly Ticket[], cursor: number, limits: BatchLimits): Plan | undefined {
  if (tickets.length === 0) return undefined;
  const { batchSize } = limits;
  const advance = new Map(tickets.map((t) => [t, t.next] as const));
  const blocked = new Set<Ticket>();
  const entries: Entry[] = [];
  let width = 0;
  let tokens = 0;
  // The batch's prefix: that of the first pair taken. Requests of other prefixes wait for a later batch.
  let key: string | undefined;
  let progressed = true;
  while (progressed && entries.length < batchSize) {
    progressed = false;
    for (let k = 0; k < tickets.length && entries.length < batchSize; k++) {
      const ticket = tickets[(cursor + k) % tickets.length]!;
      const index = advance.get(ticket)!;
      if (blocked.has(ticket) || index >= ticket.entries.length) continue;
      const entry = ticket.entries[index]!;
      const entryKey = batchKey(entry.pair);
      if (key !== undefined && entryKey !== key) {
        blocked.add(ticket);
        continue;
      }
      const length = entry.pair.inputIds.length;
      const grown = Math.max(width, length);
      if (!batchFits(entries.length + 1, tokens + length, grown, limits)) {
        blocked.add(ticket); // its later pairs are longer still
        continue;
      }
      entries.push(entry);
      key = entryKey;
      tokens += length;
      width = grown;
      advance.set(ticket, index + 1);
      progressed = true;
    }
  }
  if (entries.length === 0) return undefined;
  return { entries, width, size: batchSize, full: entries.length >= batchSize || blocked.size > 0, advance };
}

/** Resolves or rejects one pair once; the request's abort listener goes with its last pair. */
export function settle(entry: Entry, error: unknown, logits?: CachedLogits): void {
  if (entry.settled) return;
  entry.settled = true;
  if (--entry.ticket.unsettled === 0) entry.ticket.detach();
  if (logits) entry.resolve(logits);
  else entry.reject(error);
}
