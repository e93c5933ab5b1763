import { describe, expect, it } from 'vitest';
import { isRerankerError } from '../src/errors';
import type { PairEncoder } from '../src/tokenize/pair-encoder';
import { encodePairsSliced, runSliced } from '../src/tokenize/sliced-encode';
import { tinyEncoder } from './pair-fixtures';

const jobs = Array.from({ length: 40 }, (_, i) => ({
  query: i % 2 ? 'what is a reranker' : 'solar panels',
  document: `passage ${i} about the sun and the panels on a roof `.repeat(1 + (i % 5)),
}));

/** Counts encodePair calls, so a test can tell how far encoding got when a timer fired. */
function counting(encoder: PairEncoder) {
  let calls = 0;
  const spy: Pick<PairEncoder, 'prepareQuery' | 'encodePair'> = {
    prepareQuery: (query) => encoder.prepareQuery(query),
    encodePair: (query, document) => {
      calls++;
      return encoder.encodePair(query, document);
    },
  };
  return { encoder: spy, calls: () => calls };
}

describe('encodePairsSliced', () => {
  it('gives the same pairs as encoding one by one, in order', async () => {
    const encoder = await tinyEncoder('tiny', { maxLength: 128 });
    const sliced = await encodePairsSliced(encoder, jobs, { sliceMs: 0 });
    const direct = jobs.map((j) => encoder.encodePair(encoder.prepareQuery(j.query), j.document));
    expect(sliced).toEqual(direct);
  });

  it('gives the event loop back between slices (a timer runs before encoding finishes)', async () => {
    const { encoder, calls } = counting(await tinyEncoder('tiny', { maxLength: 128 }));
    let callsWhenTimerRan = -1;
    setTimeout(() => {
      callsWhenTimerRan = calls();
    }, 0);
    await encodePairsSliced(encoder, jobs, { sliceMs: 0 });
    expect(callsWhenTimerRan).toBeGreaterThan(0);
    expect(callsWhenTimerRan).toBeLessThan(jobs.length);
  });

  it('runs one slice per event-loop turn, however many requests tokenize at once', async () => {
    const base = await tinyEncoder('tiny', { maxLength: 128 });
    let turn = 0;
    let ticking = true;
    const tick = () => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const callsPerTurn = new Map<number, number>();
    const spy: Pick<PairEncoder, 'prepareQuery' | 'encodePair'> = {
      prepareQuery: (query) => base.prepareQuery(query),
      encodePair: (query, document) => {
        callsPerTurn.set(turn, (callsPerTurn.get(turn) ?? 0) + 1);
        return base.encodePair(query, document);
      },
    };
    const [a, b, c] = await Promise.all(
      [0, 1, 2].map(() => encodePairsSliced(spy, jobs.slice(0, 10), { sliceMs: 0 })),
    );
    ticking = false;
    expect([a, b, c].map((pairs) => pairs?.length)).toEqual([10, 10, 10]);
    expect(Math.max(...callsPerTurn.values())).toBe(1);
  });

  it('stops at the next slice when the request is aborted', async () => {
    const { encoder, calls } = counting(await tinyEncoder('tiny', { maxLength: 128 }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 0);
    const error = await encodePairsSliced(encoder, jobs, {
      sliceMs: 0,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(isRerankerError(error) && error.code).toBe('ABORTED');
    expect(calls()).toBeLessThan(jobs.length);
  });
});

describe('runSliced', () => {
  it('shares the lane with encodePairsSliced: turns alternate, one slice each', async () => {
    const encoder = await tinyEncoder('tiny', { maxLength: 128 });
    const order: string[] = [];
    const spy: Pick<PairEncoder, 'prepareQuery' | 'encodePair'> = {
      prepareQuery: (query) => encoder.prepareQuery(query),
      encodePair: (query, document) => {
        order.push('encode');
        return encoder.encodePair(query, document);
      },
    };
    const planning = runSliced(
      async (clock) => {
        for (let step = 0; step < 5; step++) {
          order.push('plan');
          if (clock.due()) await clock.yieldTurn();
        }
        return 'planned';
      },
      { sliceMs: 0 },
    );
    const encoding = encodePairsSliced(spy, jobs.slice(0, 5), { sliceMs: 0 });
    expect(await planning).toBe('planned');
    expect(await encoding).toHaveLength(5);
    expect(order).toEqual([
      'plan',
      'encode',
      'plan',
      'encode',
      'plan',
      'encode',
      'plan',
      'encode',
      'plan',
      'encode',
    ]);
  });

  it('stops at the next turn when aborted, and gives the lane back', async () => {
    const controller = new AbortController();
    let steps = 0;
    const error = await runSliced(
      async (clock) => {
        for (;;) {
          steps++;
          if (steps === 3) controller.abort();
          if (clock.due()) await clock.yieldTurn();
        }
      },
      { sliceMs: 0, signal: controller.signal },
    ).catch((e: unknown) => e);
    expect(isRerankerError(error) && error.code).toBe('ABORTED');
    expect(steps).toBe(3);
    expect(await runSliced(() => 'next')).toBe('next');
  });
});
