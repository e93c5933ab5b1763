import { describe, expect, it } from 'vitest';
import { type ClusterRequest, clusterWorkload } from '../src/cluster-workload';

const take = (share: number, count: number, seed = 7): ClusterRequest[] => {
  const next = clusterWorkload({ docs: 5, docWords: 12, repeatShare: share, seed });
  return Array.from({ length: count }, next);
};
const key = (r: ClusterRequest) => JSON.stringify([r.query, r.documents]);

describe('cluster workload', () => {
  it('repeats about the given share of requests, each an exact copy of an earlier fresh one', () => {
    const requests = take(0.5, 4000);
    const repeats = requests.filter((r) => r.repeat);
    expect(repeats.length / requests.length).toBeGreaterThan(0.46);
    expect(repeats.length / requests.length).toBeLessThan(0.54);
    const seen = new Set<string>();
    for (const r of requests) {
      expect(r.documents).toHaveLength(5);
      // A repeat is something sent before; a fresh request is new (so only repeats can hit the cache).
      expect(seen.has(key(r)), `repeat=${r.repeat}`).toBe(r.repeat);
      seen.add(key(r));
    }
  });

  it('sends only fresh requests at share 0 and only repeats after the first at share 1', () => {
    expect(take(0, 200).some((r) => r.repeat)).toBe(false);
    const all = take(1, 200);
    expect(all[0]!.repeat).toBe(false);
    expect(all.slice(1).every((r) => r.repeat && key(r) === key(all[0]!))).toBe(true);
  });

  it('gives the same stream for the same seed, another for another seed', () => {
    expect(take(0.5, 50).map(key)).toEqual(take(0.5, 50).map(key));
    expect(take(0.5, 50, 8).map(key)).not.toEqual(take(0.5, 50).map(key));
  });

  it('keeps the fresh texts whatever the share, so runs differ only in their repeats', () => {
    const fresh = (share: number) =>
      take(share, 300)
        .filter((r) => !r.repeat)
        .slice(0, 20)
        .map(key);
    expect(fresh(0.7)).toEqual(fresh(0));
  });
});
