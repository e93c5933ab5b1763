import { errorMessage } from '@reranker/core';
import * as ortWeb from 'onnxruntime-web';
import { type MachineInfo, machineInfo } from './machine';
import { type OpenedModel, openModel } from './model-open';
import { createProgress } from './progress';
import type { TablePreset } from './table-args';
import { BACKEND_SETUP, type TableBackend, unavailableReason } from './table-backends';
import {
  type MeasureOptions,
  MIN_REQUESTS,
  measureBackend,
  type TableRow,
  unavailableRows,
} from './table-measure';
import { buildTableWorkload, type TableWorkload } from './table-workload';

export { MIN_REQUESTS, unavailableRows };

export interface TableOptions extends MeasureOptions {
  /** Synthesized presets to measure (random weights), cross-encoders or Qwen3. @default ['minilm-l6'] unless `model` is given */
  presets: TablePreset[];
  /** A hub id or folder to measure instead of presets. */
  model?: string;
  /** @default every backend: cpu, wasm, cuda, coreml, mlx */
  backends: TableBackend[];
  /** Documents per request. @default 32 */
  docs: number;
  /** Seed of the workload texts. @default 1 */
  seed: number;
}

/** Shortest and longest (query, document) pair of the workload, in tokens. */
export const PAIR_TOKENS = [128, 256] as const;

export interface TableModel {
  name: string;
  /** A testkit preset: real architecture and cost, RANDOM weights. */
  synthesized: boolean;
  location: string;
  pairTokens: TableWorkload['pairTokens'];
  /** `cross-encoder`, or an LLM reranker's kind (`decoder-yes-no`, `decoder-seq-cls`). */
  kind: string;
}

export interface TableResult {
  benchmark: 'table';
  startedAt: string;
  /** The command as typed (set by the CLI). */
  commandLine?: string;
  machine: MachineInfo & { onnxruntimeWeb: string };
  options: TableOptions;
  workload: {
    docsPerRequest: number;
    pairTokensRange: readonly [number, number];
    description: string;
  };
  models: TableModel[];
  setups: Partial<Record<TableBackend, string>>;
  rows: TableRow[];
  durationSeconds: number;
}

export function describeWorkload(o: Pick<TableOptions, 'docs' | 'requests' | 'durationS'>): string {
  const timed =
    o.requests === undefined
      ? `timed requests until ${o.durationS} s have passed (at least ${MIN_REQUESTS})`
      : `${o.requests} timed requests`;
  return (
    `requests of ${o.docs} documents, (query, document) pairs of ${PAIR_TOKENS[0]}–${PAIR_TOKENS[1]} tokens ` +
    `(uniform, cut with the model's tokenizer), sent one after another, pair cache off; one untimed ` +
    `warm-up batch (of the smallest batch size) per backend and model, then per row ${timed}`
  );
}

async function openModels(o: TableOptions): Promise<OpenedModel[]> {
  if (o.model !== undefined) {
    return [
      await openModel({ model: o.model }, o.dtype, o.backends.includes('mlx') ? ['model.safetensors'] : []),
    ];
  }
  const out = [];
  for (const preset of o.presets) out.push(await openModel({ preset }, o.dtype));
  return out;
}

/** Every backend × batch size row for every model, one after another, with the reasons of the others. */
export async function runTable(o: TableOptions, log: (line: string) => void): Promise<TableResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const reasons = new Map<TableBackend, string | undefined>();
  for (const backend of o.backends) {
    reasons.set(backend, await unavailableReason(backend).catch((e: unknown) => errorMessage(e)));
    const reason = reasons.get(backend);
    if (reason !== undefined) log(`${backend}: unavailable (${reason})`);
  }
  if (o.model === undefined) {
    log(`synthesizing or reusing ${o.presets.join(', ')}: real architecture and cost, RANDOM weights`);
  }
  const opened = await openModels(o);
  const runnable = o.backends.filter((b) => reasons.get(b) === undefined);
  const progress = createProgress(opened.length * runnable.length * o.batchSizes.length, undefined, 'rows');
  const models: TableModel[] = [];
  const rows: TableRow[] = [];
  try {
    for (const { files, ...info } of opened) {
      const workload = await buildTableWorkload(files, {
        docsPerRequest: o.docs,
        pairTokens: PAIR_TOKENS,
        seed: o.seed,
      });
      models.push({ ...info, pairTokens: workload.pairTokens, kind: workload.kind });
      log(
        `${info.name}: pairs of ${workload.pairTokens.min}–${workload.pairTokens.max} tokens (mean ${workload.pairTokens.mean.toFixed(0)})`,
      );
      for (const backend of o.backends) {
        const reason = reasons.get(backend);
        if (reason !== undefined) rows.push(...unavailableRows(info.name, backend, o.batchSizes, reason));
        else
          rows.push(
            ...(await measureBackend(info.name, backend, files, info.location, workload, o, progress)),
          );
      }
    }
  } finally {
    progress.stop();
  }
  return {
    benchmark: 'table',
    startedAt,
    machine: { ...machineInfo(), onnxruntimeWeb: ortWeb.env.versions.web ?? 'unknown' },
    options: o,
    workload: { docsPerRequest: o.docs, pairTokensRange: PAIR_TOKENS, description: describeWorkload(o) },
    models,
    setups: Object.fromEntries(o.backends.map((b) => [b, BACKEND_SETUP[b]])),
    rows,
    durationSeconds: (performance.now() - started) / 1000,
  };
}
