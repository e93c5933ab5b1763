import type { Dtype } from '@reranker/core';
import { type Device, type RunFailure, type RunReport, type RunSettings, rerankPassages } from './run';
import { SAMPLE_PASSAGES, SAMPLE_QUERY } from './sample';

declare global {
  interface Window {
    /** The last run, for scripts and tests: the ranked list and backend details, or the error. */
    __lastResult?: RunReport | RunFailure;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('form');
const query = $<HTMLInputElement>('query');
const instruction = $<HTMLInputElement>('instruction');
const passages = $<HTMLTextAreaElement>('passages');
const device = $<HTMLSelectElement>('device');
const dtype = $<HTMLSelectElement>('dtype');
const threads = $<HTMLInputElement>('threads');
const model = $<HTMLInputElement>('model');
const button = $<HTMLButtonElement>('rerank');
const status = $<HTMLSpanElement>('status');
const errorBox = $<HTMLParagraphElement>('error');
const output = $<HTMLElement>('output');
const list = $<HTMLOListElement>('results');
const details = $<HTMLDListElement>('details');

// Settings can come from the address (?model=…&device=wasm&dtype=fp32&threads=2&instruction=…&sample=1),
// to share a setup.
const params = new URLSearchParams(location.search);
if (params.has('instruction')) instruction.value = params.get('instruction')!;
if (params.has('model')) model.value = params.get('model')!;
if (params.has('device')) device.value = params.get('device')!;
if (params.has('dtype')) dtype.value = params.get('dtype')!;
if (params.has('threads')) threads.value = params.get('threads')!;
if (params.has('sample')) loadSample();

$<HTMLButtonElement>('sample').addEventListener('click', loadSample);
form.addEventListener('submit', (event) => {
  event.preventDefault();
  void run();
});
// Anything that escapes a run (a failing worker, say) still reaches the page, not only the console.
addEventListener('error', (event) => showError({ message: event.message }));
addEventListener('unhandledrejection', (event) => showError(describeError(event.reason)));

function loadSample(): void {
  query.value = SAMPLE_QUERY;
  passages.value = SAMPLE_PASSAGES.join('\n');
}

function setStatus(state: 'idle' | 'loading' | 'done' | 'error', text: string = state): void {
  status.dataset.state = state;
  status.textContent = text;
}

async function run(): Promise<void> {
  const texts = passages.value
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (query.value.trim() === '' || texts.length === 0) {
    showError({ message: 'Enter a query and at least one passage (one per line), or click "Load sample".' });
    return;
  }
  const settings: RunSettings = {
    model: model.value.trim(),
    device: device.value as Device,
    dtype: dtype.value as Dtype,
    threads: Number(threads.value) || 0,
  };
  button.disabled = true;
  errorBox.hidden = true;
  setStatus('loading', 'loading the model and ranking…');
  try {
    // Empty: none given, so an LLM reranker uses its default and a cross-encoder is not refused.
    const given = instruction.value.trim() === '' ? undefined : instruction.value;
    const report = await rerankPassages(settings, query.value, texts, given);
    window.__lastResult = report;
    render(report);
    setStatus('done', `ranked ${texts.length} passages on ${report.backend}/${report.device}`);
  } catch (error) {
    showError(describeError(error));
  } finally {
    button.disabled = false;
  }
}

function describeError(error: unknown): RunFailure['error'] {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : undefined, message: error.message };
  }
  return { message: String(error) };
}

function showError(error: RunFailure['error']): void {
  window.__lastResult = { ok: false, error };
  errorBox.textContent = error.code ? `${error.code}: ${error.message}` : error.message;
  errorBox.hidden = false;
  setStatus('error');
}

function render(report: RunReport): void {
  list.replaceChildren(
    ...report.results.map((r) => {
      const item = document.createElement('li');
      item.dataset.testid = 'result';
      item.dataset.index = String(r.index);
      item.dataset.score = String(r.score);
      const score = document.createElement('span');
      score.className = 'score';
      score.textContent = `${r.score.toFixed(4)} (p ${r.relevanceScore.toFixed(3)})`;
      item.append(score, `#${r.index} ${r.text}`);
      return item;
    }),
  );
  const fallback = report.fallbacks.map((f) => `${f.candidate}: ${f.message}`).join('\n') || 'none';
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const rows: [string, string, string][] = [
    ['backend', 'backend', report.backend],
    ['device', 'device', report.device],
    ['fallback reason', 'fallback', fallback],
    ['wasm threads', 'threads', String(report.threads)],
    ['cross-origin isolated', 'isolated', String(report.crossOriginIsolated)],
    ['navigator.gpu', 'webgpu-api', report.webgpuAvailable ? 'present' : 'absent'],
    ['model', 'model', `${report.model} (${report.dtype})`],
    [
      'model kind',
      'kind',
      report.decoderLayout ? `${report.kind} (${report.decoderLayout} graph)` : report.kind,
    ],
    ['instruction', 'instruction', report.instruction ?? 'none (cross-encoder)'],
    ['load', 'load-ms', report.timings.loadMs > 0 ? ms(report.timings.loadMs) : 'reused'],
    ['queue', 'queue-ms', ms(report.timings.queueMs)],
    ['inference', 'inference-ms', ms(report.timings.inferenceMs)],
    ['total', 'total-ms', ms(report.timings.totalMs)],
    ['tokens', 'tokens', String(report.usage.tokens)],
  ];
  details.replaceChildren(
    ...rows.flatMap(([label, id, value]) => {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.dataset.testid = `info-${id}`;
      dd.textContent = value;
      return [dt, dd];
    }),
  );
  output.hidden = false;
}
