import { type Dtype, errorMessage, type ModelFiles, RerankerError } from '@reranker/core';
import { measureCpu } from './cpu';
import type { Progress } from './progress';
import { percentile } from './stats';
import { openBackend, type TableBackend } from './table-backends';
import type { TableWorkload } from './table-workload';

/**
 * In duration mode a row times at least this many requests. One, not two: a 32-document request of
 * bge-base on wasm takes ~40 s on 2 cores, and a second one per row would stretch the full table past
 * ten minutes. The row's note says how many requests its percentiles cover.
 */
export const MIN_REQUESTS = 1;

/** What measuring takes of the table's options (`TableOptions` extends it). */
export interface MeasureOptions {
  /** Rows per inference batch, one table row each. @default [8, 16, 32] */
  batchSizes: number[];
  /** ONNX file to run (fp32 `model.onnx`, fp16, q8). @default 'fp32' */
  dtype: Dtype;
  /** Timed requests per row; when set, `durationS` is ignored. */
  requests?: number;
  /** Without `requests`: timed requests per row until this many seconds, at least MIN_REQUESTS. @default 6 */
  durationS: number;
}

export interface TableRow {
  model: string;
  backend: TableBackend;
  batchSize: number;
  /** `unavailable`: the backend cannot run on this host (see `reason`); `failed`: it threw while measured. */
  status: 'measured' | 'unavailable' | 'failed';
  reason?: string;
  /** Documents of the timed requests / their wall time. */
  docsPerSecond?: number;
  /** Per-request latency percentiles over the timed requests, milliseconds. */
  latencyMs?: { p50: number; p95: number };
  requests?: number;
  seconds?: number;
  /** What really ran (`info().device`). */
  device?: string;
  /** The backend's own description (`info().backendDetails`: workers, threads, execution providers). */
  details?: Record<string, unknown>;
  /** This process's and every other process's share of the cores while the row was timed (see cpu.ts). */
  cpuShare?: number;
  othersShare?: number;
}

/** The rows of a backend that cannot run here: one per batch size, each with the reason. */
export function unavailableRows(
  model: string,
  backend: TableBackend,
  batchSizes: readonly number[],
  reason: string,
  status: 'unavailable' | 'failed' = 'unavailable',
): TableRow[] {
  return batchSizes.map((batchSize) => ({ model, backend, batchSize, status, reason }));
}

/** Every batch-size row of one backend on one model: load once, warm up once, measure each row. */
export async function measureBackend(
  model: string,
  backend: TableBackend,
  files: ModelFiles,
  location: string,
  workload: TableWorkload,
  o: MeasureOptions,
  progress: Progress,
): Promise<TableRow[]> {
  const rows: TableRow[] = [];
  let open: Awaited<ReturnType<typeof openBackend>> | undefined;
  try {
    progress.note(`${model} ${backend}: loading`);
    open = await openBackend(backend, { location, files }, o.dtype);
    // Once per backend, not per row: rows share the loaded backend, and a warm-up batch of 32 on a
    // bge-base-sized model costs as much as a timed request.
    progress.note(`${model} ${backend}: warm-up`);
    const smallest = Math.min(...o.batchSizes);
    const warm = await open.engine(smallest);
    const { query, documents } = workload.requests[0]!;
    await warm.rerank(query, documents.slice(0, smallest)).finally(() => warm.dispose());
    for (const batchSize of o.batchSizes) {
      const phase = `${model} ${backend} batch ${batchSize}`;
      try {
        const row = await measureRow(open, batchSize, workload, o, (i) =>
          progress.note(`${phase}: request ${i}`),
        );
        rows.push({ model, backend, ...row });
        progress.tick(phase);
        progress.phaseDone(
          phase,
          `${row.docsPerSecond.toFixed(1)} docs/s, p50 ${row.latencyMs.p50.toFixed(0)} ms`,
        );
      } catch (error) {
        rows.push(...unavailableRows(model, backend, [batchSize], errorMessage(error), 'failed'));
        progress.tick(phase);
        progress.phaseDone(phase, `FAILED: ${errorMessage(error)}`);
      }
    }
  } catch (error) {
    // The backend did not load: every batch size of it failed for that reason.
    const done = new Set(rows.map((r) => r.batchSize));
    const rest = o.batchSizes.filter((b) => !done.has(b));
    rows.push(...unavailableRows(model, backend, rest, errorMessage(error), 'failed'));
    for (const batchSize of rest) progress.tick(`${model} ${backend} batch ${batchSize}`);
    progress.phaseDone(`${model} ${backend}`, `FAILED: ${errorMessage(error)}`);
  } finally {
    await open?.close();
  }
  return rows;
}

async function measureRow(
  open: Awaited<ReturnType<typeof openBackend>>,
  batchSize: number,
  workload: TableWorkload,
  o: MeasureOptions,
  onRequest: (index: number) => void,
) {
  const reranker = await open.engine(batchSize);
  try {
    const latencies: number[] = [];
    let docs = 0;
    const cpu = measureCpu();
    const start = performance.now();
    const more = (i: number) =>
      o.requests !== undefined
        ? i < o.requests
        : i < MIN_REQUESTS || performance.now() - start < o.durationS * 1000;
    for (let i = 0; more(i); i++) {
      onRequest(i + 1);
      const { query, documents } = workload.requests[i % workload.requests.length]!;
      const t0 = performance.now();
      const results = await reranker.rerank(query, documents);
      latencies.push(performance.now() - t0);
      if (results.length !== documents.length) {
        throw new RerankerError(
          'BACKEND_FAILED',
          `${results.length} results for ${documents.length} documents`,
        );
      }
      docs += documents.length;
    }
    const seconds = (performance.now() - start) / 1000;
    const { device, backendDetails } = await reranker.info();
    return {
      batchSize,
      status: 'measured' as const,
      docsPerSecond: docs / seconds,
      latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95) },
      requests: latencies.length,
      seconds,
      device,
      // Workers, threads, execution providers: what the figures were measured with (JSON only).
      details: backendDetails,
      ...cpu(),
    };
  } finally {
    await reranker.dispose();
  }
}
