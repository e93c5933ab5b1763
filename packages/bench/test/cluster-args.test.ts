import { describe, expect, it } from 'vitest';
import { MAX_SERVERS, parseServerCounts, threadsPerServer } from '../src/cluster-args';
import { parseShare } from '../src/cluster-workload';

describe('cluster arguments', () => {
  it('reads server counts in the order given', () => {
    expect(parseServerCounts('1,3')).toEqual([1, 3]);
    expect(parseServerCounts(' 3 , 1,2')).toEqual([3, 1, 2]);
    expect(parseServerCounts(String(MAX_SERVERS))).toEqual([MAX_SERVERS]);
  });

  it.each(['', '0', '1,', 'a', '1.5', '-1', String(MAX_SERVERS + 1), '1,1'])(
    'refuses --servers %j with an INVALID_CONFIG error',
    (value) => {
      expect(() => parseServerCounts(value)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    },
  );

  it('reads a repeat share from 0 to 1 and refuses anything else', () => {
    expect(parseShare('0')).toBe(0);
    expect(parseShare('0.5')).toBe(0.5);
    expect(parseShare('1')).toBe(1);
    for (const bad of ['', ' ', '-0.1', '1.01', 'half', 'NaN', 'Infinity']) {
      expect(() => parseShare(bad), bad).toThrow(/--repeat-share must be a number from 0 to 1/);
    }
  });

  it('shares the cores out among the servers, at least one thread each', () => {
    expect(threadsPerServer(2, 1)).toBe(2);
    expect(threadsPerServer(2, 3)).toBe(1);
    expect(threadsPerServer(8, 3)).toBe(2);
    expect(threadsPerServer(1, 1)).toBe(1);
  });
});
