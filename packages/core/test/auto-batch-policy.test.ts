import { describe, expect, it } from 'vitest';
import { costs, load, setup } from './auto-batch-helpers';

/** Lengths of the runs of consecutive batches of `rows` rows in `seen`. */
function runsOf(seen: number[], rows: number): number[] {
  const runs: number[] = [];
  let length = 0;
  for (const r of [...seen, Number.NaN]) {
    if (r === rows) length++;
    else if (length > 0) {
      runs.push(length);
      length = 0;
    }
  }
  return runs;
}

describe('BatchSizer trials under load (batchSize: auto)', () => {
  it('without drift it tries no neighbour before recheckEvery; a drift of the size in use starts one', async () => {
    const { sizer, scheduler, state, infos, calibrate } = setup(
      [4, 8, 16],
      costs({ 4: 1, 8: 0.5, 16: 0.7 }),
      { recheckEvery: 1_000_000 },
    );
    expect(await calibrate()).toBe(8);
    state.rows.length = 0;
    await load(scheduler, 8 * 200);
    expect(state.rows.filter((r) => r !== 8)).toEqual([]); // 200 batches, all at the size chosen
    expect(sizer.stats()).toMatchObject({ trials: 0, trialBatches: 0, batches: 200 });
    // 8 becomes twice as dear (more than `drift` off its settled level) and 16 is now the faster one.
    state.cost = costs({ 4: 1, 8: 1, 16: 0.7 });
    await load(scheduler, 8 * 200);
    expect(sizer.chosen()).toBe(16);
    expect(infos.join('\n')).toMatch(/a neighbour is due/);
    expect(infos.filter((l) => /under load/.test(l))).toEqual([
      expect.stringMatching(
        /Batch size auto: 16 \(was 8\); under load it ran 14\.3 tokens\/ms against 10\.0/,
      ),
    ]);
  });

  it('trials run on at most trialShare of the batches, however often one is due', async () => {
    // recheckEvery 4: a trial is due after every window; only the share holds them back.
    const { sizer, scheduler, state, calibrate } = setup([4, 8, 16], costs({ 4: 1, 8: 0.5, 16: 0.7 }), {
      recheckEvery: 4,
      trialShare: 0.02,
    });
    await calibrate();
    state.rows.length = 0;
    await load(scheduler, 8 * 2000);
    const off = state.rows.filter((r) => r !== 8).length;
    expect(off).toBeGreaterThan(0); // it did try
    expect(off / state.rows.length).toBeLessThanOrEqual(0.02);
    expect(sizer.stats()).toMatchObject({ chosen: 8, trialBatches: off, batches: state.rows.length });
    expect(sizer.stats().trials).toBeGreaterThanOrEqual(4);
  });

  it('a neighbour already slower at half its window goes no further; a faster one runs it whole', async () => {
    const slower = setup([8, 16], costs({ 8: 0.5, 16: 1 }), { window: 8 });
    await slower.calibrate();
    slower.state.rows.length = 0;
    await load(slower.scheduler, 8 * 300);
    const tries = runsOf(slower.state.rows, 16);
    expect(tries.length).toBeGreaterThanOrEqual(3);
    expect(new Set(tries)).toEqual(new Set([4])); // half of the window of 8
    expect(slower.sizer.chosen()).toBe(8);

    // 16 only 2 % faster: not enough to adopt, but not slower, so each trial runs its whole window.
    const close = setup([8, 16], costs({ 8: 0.5, 16: 0.49 }), { window: 8 });
    expect(await close.calibrate()).toBe(16);
    close.state.cost = costs({ 8: 0.49, 16: 0.5 });
    close.state.rows.length = 0;
    await load(close.scheduler, 16 * 300);
    const closeTries = runsOf(close.state.rows, 8);
    expect(closeTries.length).toBeGreaterThanOrEqual(3);
    expect(new Set(closeTries)).toEqual(new Set([8]));
    expect(close.sizer.chosen()).toBe(16);
  });

  it('warm-up timing is counted apart from the batches of requests', async () => {
    const { sizer, scheduler, calibrate } = setup([4, 8], costs({ 4: 1, 8: 0.5 }));
    await calibrate();
    // One untimed run of 4 rows (4 ms), then 4 and 8 twice (4 ms each run).
    expect(sizer.stats()).toMatchObject({
      calibrationBatches: 5,
      calibrationMs: 4 + 2 * (4 + 4),
      batches: 0,
    });
    await load(scheduler, 16);
    expect(sizer.stats()).toMatchObject({ calibrationBatches: 5, batches: 2, batchesBySize: { 8: 2 } });
  });
});
