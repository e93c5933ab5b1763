import type { Dtype, RerankerInfo, UnifiedReRanker } from '@reranker/core';
import { createWebReranker, fetchModel } from '@reranker/core/web';
import { env } from 'onnxruntime-web';

export type Device = 'auto' | 'webgpu' | 'wasm';

export interface RunSettings {
  /** A folder URL or path (`/models/tiny`) or a hub id. */
  model: string;
  device: Device;
  dtype: Dtype;
  /** Wasm threads; 0 lets onnxruntime-web decide. */
  threads: number;
}

export interface RankedPassage {
  rank: number;
  index: number;
  score: number;
  relevanceScore: number;
  text: string;
}

/** What the page shows after a run, and what it publishes as `window.__lastResult`. */
export interface RunReport {
  ok: true;
  query: string;
  results: RankedPassage[];
  model: string;
  backend: string;
  device: string;
  dtype: string;
  /** `cross-encoder`, or an LLM reranker's kind (`decoder-yes-no`, `decoder-seq-cls`). */
  kind: string;
  /** LLM rerankers: the graph layout the web backend runs (`causal-lm` export or `prefix` graph). */
  decoderLayout?: string;
  /** LLM rerankers: the instruction of the prompt (the one given, else the model's default). */
  instruction?: string;
  /** Backends tried before the one that ran, with why they failed (the fallback reason). */
  fallbacks: { candidate: string; message: string }[];
  /** Wasm threads onnxruntime-web runs with (1 unless the page is cross-origin isolated). */
  threads: number;
  crossOriginIsolated: boolean;
  webgpuAvailable: boolean;
  /** Model download and session creation (0 when the loaded reranker was reused), queue and inference. */
  timings: { loadMs: number; queueMs: number; inferenceMs: number; totalMs: number };
  usage: { computedPairs: number; cachedPairs: number; tokens: number };
}

export interface RunFailure {
  ok: false;
  error: { code?: string; message: string };
}

// wasm files come from this app's origin (copied into dist/ort/ at build, served from node_modules in dev).
const WASM_PATHS = new URL(`${import.meta.env.BASE_URL}ort/`, location.href).href;

let loaded: { key: string; reranker: Promise<UnifiedReRanker> } | undefined;

/** Reuses the loaded reranker while the settings stay the same; loads (and replaces) it otherwise. */
async function rerankerFor(settings: RunSettings): Promise<{ reranker: UnifiedReRanker; loadMs: number }> {
  const key = JSON.stringify(settings);
  if (loaded?.key === key) return { reranker: await loaded.reranker, loadMs: 0 };
  const previous = loaded;
  loaded = undefined;
  await previous?.reranker.then((r) => r.dispose()).catch(() => undefined);
  const started = performance.now();
  const local = /^[/.]/.test(settings.model);
  const reranker = createWebReranker({
    // Files served by the dev server are not kept in Cache Storage: a re-synthesized model would go stale.
    model: fetchModel({ model: settings.model, cacheName: local ? false : undefined }),
    device: settings.device,
    dtype: settings.dtype,
    wasmPaths: WASM_PATHS,
    numThreads: settings.threads > 0 ? settings.threads : undefined,
    // Every click computes: the timings shown are the model's, not a cache hit's.
    cache: false,
  });
  loaded = { key, reranker };
  try {
    const ready = await reranker;
    return { reranker: ready, loadMs: performance.now() - started };
  } catch (error) {
    loaded = undefined;
    throw error;
  }
}

/**
 * Ranks `passages` for `query`. `instruction` goes to an LLM reranker's prompt (its default when
 * undefined); a cross-encoder refuses one with INVALID_INPUT.
 */
export async function rerankPassages(
  settings: RunSettings,
  query: string,
  passages: string[],
  instruction?: string,
): Promise<RunReport> {
  const started = performance.now();
  const { reranker, loadMs } = await rerankerFor(settings);
  const { results, usage, timings } = await reranker.rerankDetailed(query, passages, { instruction });
  const info: RerankerInfo = await reranker.info();
  const { decoderLayout } = info.backendDetails;
  return {
    ok: true,
    query,
    results: results.map((r, rank) => ({
      rank: rank + 1,
      index: r.index,
      score: r.score,
      relevanceScore: r.relevanceScore,
      text: passages[r.index]!,
    })),
    model: info.source,
    backend: info.backend,
    device: info.device,
    dtype: info.dtype,
    kind: info.kind,
    ...(typeof decoderLayout === 'string' && { decoderLayout }),
    ...(info.kind !== 'cross-encoder' && { instruction: instruction ?? info.defaultInstruction }),
    fallbacks: info.backendFallbacks,
    threads: threadCount(info),
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    webgpuAvailable: 'gpu' in navigator,
    timings: { loadMs, ...timings, totalMs: performance.now() - started },
    usage,
  };
}

/** The backend's own figure when it reports one, else what onnxruntime-web settled on at init. */
function threadCount(info: RerankerInfo): number {
  const reported = info.backendDetails.numThreads;
  return typeof reported === 'number' ? reported : (env.wasm.numThreads ?? 1);
}
