import { describe, expect, it } from 'vitest';
import { PrefixRouting } from '../src/onnx/pool-prefix';

// How the worker pool places decoder batches: a worker that recently ran the batch's prefix when it
// is idle, else the first idle one; and the workers' LRU counters summed across restarts.

describe('PrefixRouting', () => {
  it('prefers an idle worker that ran the prefix, else the first idle one', () => {
    const routing = new PrefixRouting(3, 2);
    routing.dispatched(2, 'a');
    expect(routing.pick([0, 1, 2], 'a')).toBe(2);
    expect(routing.pick([0, 1], 'a')).toBe(0); // the warm worker is busy: do not wait for it
    expect(routing.pick([1, 2], 'b')).toBe(1);
    expect(routing.pick([1, 2], undefined)).toBe(1);
    // Bounded like the worker's LRU: the oldest key is forgotten.
    routing.dispatched(2, 'b');
    routing.dispatched(2, 'c');
    expect(routing.pick([0, 2], 'a')).toBe(0);
    expect(routing.pick([0, 2], 'b')).toBe(2);
  });

  it('sums the workers counters and keeps those of a replaced worker', () => {
    const routing = new PrefixRouting(2, 4, 1000);
    const stats = (hits: number, misses: number, entries: number) => ({
      hits,
      misses,
      evictions: 0,
      entries,
      bytes: entries * 100,
      maxEntries: 4,
      maxBytes: 1000,
    });
    routing.report(0, stats(3, 1, 1));
    routing.report(1, stats(1, 2, 2));
    expect(routing.stats()).toMatchObject({ hits: 4, misses: 3, entries: 3, bytes: 300, maxBytes: 1000 });
    routing.dispatched(1, 'k');
    routing.reset(1);
    expect(routing.stats()).toMatchObject({ hits: 4, misses: 3, entries: 1, bytes: 100 });
    expect(routing.pick([0, 1], 'k')).toBe(0); // its entries died with it
  });
});
