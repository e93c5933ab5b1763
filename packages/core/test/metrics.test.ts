import { afterEach, describe, expect, it, vi } from 'vitest';
import { RerankerError } from '../src/errors';
import { MetricsRecorder, type RequestRecord } from '../src/metrics';

const ok = (waitMs: number, processMs: number, documents = 1): RequestRecord => ({
  ok: true,
  waitMs,
  processMs,
  documents,
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('MetricsRecorder', () => {
  it('starts at zero, with success rate 1 and cache hit rate 0', () => {
    const snap = new MetricsRecorder().snapshot();
    expect(snap).toMatchObject({
      total_requests: 0,
      successful_requests: 0,
      failed_requests: 0,
      success_rate: 1,
      avg_wait_time_ms: 0,
      avg_process_time_ms: 0,
      p50_wait_time_ms: 0,
      p95_wait_time_ms: 0,
      p99_wait_time_ms: 0,
      p50_process_time_ms: 0,
      p95_process_time_ms: 0,
      p99_process_time_ms: 0,
      documents_scored: 0,
      cache_hits: 0,
      cache_misses: 0,
      cache_hit_rate: 0,
      batches: 0,
      batch_rows: 0,
      batch_tokens: 0,
      avg_rows_per_batch: 0,
      avg_tokens_per_batch: 0,
      errors_by_code: {},
      window_size: 0,
    });
  });

  it('counts totals, documents of successful requests, success rate and errors by code', () => {
    const metrics = new MetricsRecorder();
    metrics.recordRequest(ok(1, 2, 5));
    metrics.recordRequest(ok(1, 2, 7));
    metrics.recordRequest({ ok: false, waitMs: 0, processMs: 0, documents: 50, errorCode: 'QUEUE_FULL' });
    metrics.recordRequest(ok(1, 2, 2));
    metrics.recordRequest({ ok: false, waitMs: 3, processMs: 1, documents: 4, errorCode: 'QUEUE_FULL' });
    metrics.recordRequest({ ok: false, waitMs: 0, processMs: 9, documents: 1, errorCode: 'BACKEND_FAILED' });
    metrics.recordRequest({ ok: false, waitMs: 0, processMs: 0, documents: 1 });
    metrics.recordRequest({ ok: true, waitMs: 0, processMs: 1, documents: 1, errorCode: 'IGNORED' });
    const snap = metrics.snapshot();
    expect(snap.total_requests).toBe(8);
    expect(snap.successful_requests).toBe(4);
    expect(snap.failed_requests).toBe(4);
    expect(snap.success_rate).toBe(0.5);
    expect(snap.documents_scored).toBe(5 + 7 + 2 + 1);
    expect(snap.errors_by_code).toEqual({ QUEUE_FULL: 2, BACKEND_FAILED: 1, UNKNOWN: 1 });
  });

  it('computes nearest-rank percentiles and averages over the window', () => {
    const metrics = new MetricsRecorder();
    // Request i (1..20) waited 5·i ms and took i² ms, recorded out of order.
    const order = [7, 19, 1, 14, 20, 3, 11, 16, 5, 9, 2, 18, 13, 6, 10, 17, 4, 12, 8, 15];
    for (const i of order) metrics.recordRequest(ok(5 * i, i * i));
    const snap = metrics.snapshot();
    // n = 20: p50 is rank ceil(10) = 10, p95 rank ceil(19) = 19, p99 rank ceil(19.8) = 20.
    expect(snap.p50_wait_time_ms).toBe(50);
    expect(snap.p95_wait_time_ms).toBe(95);
    expect(snap.p99_wait_time_ms).toBe(100);
    expect(snap.p50_process_time_ms).toBe(100);
    expect(snap.p95_process_time_ms).toBe(361);
    expect(snap.p99_process_time_ms).toBe(400);
    // Mean of 5..100 step 5 is 52.5; sum of i² for 1..20 is 2870, / 20 = 143.5.
    expect(snap.avg_wait_time_ms).toBe(52.5);
    expect(snap.avg_process_time_ms).toBe(143.5);
    expect(snap.window_size).toBe(20);
  });

  it('picks a recorded value, never an interpolation, on a small window', () => {
    const metrics = new MetricsRecorder();
    for (const w of [40, 10, 30, 20]) metrics.recordRequest(ok(w, 1));
    const snap = metrics.snapshot();
    // n = 4: p50 is rank 2 = 20 (interpolation would say 25); p95 rank ceil(3.8) = 4 = 40.
    expect(snap.p50_wait_time_ms).toBe(20);
    expect(snap.p95_wait_time_ms).toBe(40);
    expect(snap.p99_wait_time_ms).toBe(40);
    expect(snap.avg_wait_time_ms).toBe(25);
  });

  it('rounds the rank up, not to the nearest', () => {
    const metrics = new MetricsRecorder();
    for (let w = 12; w >= 1; w--) metrics.recordRequest(ok(w, 0));
    // n = 12: p95 is rank ceil(11.4) = 12 (rounding would give rank 11); p50 rank 6; p99 rank ceil(11.88) = 12.
    const snap = metrics.snapshot();
    expect(snap.p50_wait_time_ms).toBe(6);
    expect(snap.p95_wait_time_ms).toBe(12);
    expect(snap.p99_wait_time_ms).toBe(12);
  });

  it('rounds times to 3 decimals', () => {
    const metrics = new MetricsRecorder();
    metrics.recordRequest(ok(1.23456, 0.0004));
    const snap = metrics.snapshot();
    expect(snap.p50_wait_time_ms).toBe(1.235);
    expect(snap.avg_wait_time_ms).toBe(1.235);
    expect(snap.avg_process_time_ms).toBe(0);
  });

  it('drops old requests from the window while totals keep counting', () => {
    const metrics = new MetricsRecorder({ windowSize: 3 });
    for (const w of [100, 100, 100]) metrics.recordRequest(ok(w, w));
    metrics.recordRequest(ok(1, 1));
    // Window is now [100, 100, 1].
    expect(metrics.snapshot().avg_wait_time_ms).toBe(67);
    metrics.recordRequest(ok(2, 2));
    metrics.recordRequest(ok(3, 3));
    const snap = metrics.snapshot();
    expect(snap.avg_wait_time_ms).toBe(2);
    expect(snap.p99_wait_time_ms).toBe(3);
    expect(snap.p99_process_time_ms).toBe(3);
    expect(snap.window_size).toBe(3);
    expect(snap.total_requests).toBe(6);
  });

  it('keeps the last windowSize values after wrapping around several times', () => {
    const metrics = new MetricsRecorder({ windowSize: 5 });
    for (let i = 1; i <= 23; i++) metrics.recordRequest(ok(i, 0));
    const snap = metrics.snapshot();
    // Window holds 19..23: mean 21, p50 rank ceil(2.5) = 3 -> 21, p95 rank 5 -> 23.
    expect(snap.avg_wait_time_ms).toBe(21);
    expect(snap.p50_wait_time_ms).toBe(21);
    expect(snap.p95_wait_time_ms).toBe(23);
    expect(snap.window_size).toBe(5);
  });

  it('computes the cache hit rate over all lookups', () => {
    const metrics = new MetricsRecorder();
    metrics.recordCache(3, 1);
    metrics.recordCache(0, 4);
    const snap = metrics.snapshot();
    expect(snap.cache_hits).toBe(3);
    expect(snap.cache_misses).toBe(5);
    expect(snap.cache_hit_rate).toBe(3 / 8);
  });

  it('counts rows and padded tokens of all batches exactly, and averages them per batch', () => {
    const metrics = new MetricsRecorder();
    metrics.recordBatch(4, 128);
    metrics.recordBatch(2, 40);
    metrics.recordBatch(1, 10);
    const snap = metrics.snapshot();
    expect(snap.batches).toBe(3);
    expect(snap.batch_rows).toBe(7);
    expect(snap.batch_tokens).toBe(178);
    // 7 / 3 and 178 / 3, rounded to 3 decimals.
    expect(snap.avg_rows_per_batch).toBe(2.333);
    expect(snap.avg_tokens_per_batch).toBe(59.333);
  });

  it('measures uptime from creation, and reset forgets everything and restarts it', () => {
    const now = vi.spyOn(performance, 'now').mockReturnValue(1_000);
    const metrics = new MetricsRecorder({ windowSize: 4 });
    metrics.recordRequest(ok(5, 6, 3));
    metrics.recordRequest({ ok: false, waitMs: 1, processMs: 1, documents: 1, errorCode: 'TIMEOUT' });
    metrics.recordCache(1, 1);
    metrics.recordBatch(2, 20);
    now.mockReturnValue(3_500);
    expect(metrics.snapshot().uptime_seconds).toBe(2.5);

    now.mockReturnValue(4_000);
    metrics.reset();
    now.mockReturnValue(4_250);
    const snap = metrics.snapshot();
    expect(snap).toMatchObject({
      total_requests: 0,
      failed_requests: 0,
      success_rate: 1,
      avg_wait_time_ms: 0,
      p99_process_time_ms: 0,
      documents_scored: 0,
      cache_hits: 0,
      cache_misses: 0,
      batches: 0,
      batch_rows: 0,
      batch_tokens: 0,
      avg_rows_per_batch: 0,
      errors_by_code: {},
      window_size: 0,
      uptime_seconds: 0.25,
    });
    // The window still works, with its old capacity, after a reset.
    for (const w of [9, 1, 2, 3, 4]) metrics.recordRequest(ok(w, 0));
    expect(metrics.snapshot()).toMatchObject({ window_size: 4, avg_wait_time_ms: 2.5 });
  });

  it('hands out a copy of errors_by_code', () => {
    const metrics = new MetricsRecorder();
    metrics.recordRequest({ ok: false, waitMs: 0, processMs: 0, documents: 1, errorCode: 'ABORTED' });
    metrics.snapshot().errors_by_code.ABORTED = 99;
    expect(metrics.snapshot().errors_by_code).toEqual({ ABORTED: 1 });
  });

  it.each([0, 1.5, -3, 2_000_000, Number.NaN])('rejects windowSize %s with INVALID_CONFIG', (windowSize) => {
    expect(() => new MetricsRecorder({ windowSize })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringContaining('windowSize') }),
    );
  });

  it('refuses bad figures without recording any part of them', () => {
    const metrics = new MetricsRecorder();
    const bad: RequestRecord[] = [
      { ok: true, waitMs: -1, processMs: 1, documents: 1 },
      { ok: true, waitMs: 1, processMs: Number.NaN, documents: 1 },
      { ok: true, waitMs: 1, processMs: 1, documents: 1.5 },
    ];
    for (const record of bad) {
      expect(() => metrics.recordRequest(record)).toThrow(RerankerError);
    }
    expect(() => metrics.recordCache(-1, 0)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => metrics.recordBatch(1, Number.POSITIVE_INFINITY)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(metrics.snapshot()).toMatchObject({
      total_requests: 0,
      window_size: 0,
      documents_scored: 0,
      cache_misses: 0,
      batches: 0,
    });
  });
});
