import type { EncodedBatch } from '@reranker/core';

/**
 * The JSON-lines protocol of `python/reranker_worker.py` (documented in the package README). The
 * worker writes one `ready` (or `load-failed`) line, then one response line per request line.
 */
export interface ReadyMessage {
  type: 'ready';
  engine: string;
  device: string;
  model: string;
  dtype: string;
  pid: number;
  numLabels?: number;
}

export interface LoadFailedMessage {
  type: 'load-failed';
  error: string;
}

export type ResponseMessage = { id: number; logits: number[][] } | { id: number; error: string };

export interface WorkerRequest {
  id: number;
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
}

/** One stdout line as a protocol message, or a description of why it is not one. */
export type Parsed =
  | { kind: 'ready'; message: ReadyMessage }
  | { kind: 'load-failed'; message: LoadFailedMessage }
  | { kind: 'response'; message: ResponseMessage }
  | { kind: 'garbage'; line: string };

export function parseLine(line: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: 'garbage', line };
  }
  if (typeof value !== 'object' || value === null) return { kind: 'garbage', line };
  const v = value as Record<string, unknown>;
  if (v.type === 'ready' && typeof v.engine === 'string' && typeof v.pid === 'number') {
    return { kind: 'ready', message: v as unknown as ReadyMessage };
  }
  if (v.type === 'load-failed' && typeof v.error === 'string') {
    return { kind: 'load-failed', message: v as unknown as LoadFailedMessage };
  }
  if (typeof v.id === 'number' && (isMatrix(v.logits) || typeof v.error === 'string')) {
    return { kind: 'response', message: v as unknown as ResponseMessage };
  }
  return { kind: 'garbage', line };
}

function isMatrix(value: unknown): value is number[][] {
  return (
    Array.isArray(value) &&
    value.every((row) => Array.isArray(row) && row.every((x) => typeof x === 'number'))
  );
}

/** A padded int64 batch as the nested int lists of a request (token ids fit a double exactly). */
export function toRequest(id: number, batch: EncodedBatch): WorkerRequest {
  const rows = (data: BigInt64Array) =>
    Array.from({ length: batch.rows }, (_, r) =>
      Array.from(data.subarray(r * batch.width, (r + 1) * batch.width), Number),
    );
  return {
    id,
    input_ids: rows(batch.inputIds),
    attention_mask: rows(batch.attentionMask),
    token_type_ids: rows(batch.tokenTypeIds),
  };
}

/** Splits a readable stream of text into lines (the last, unterminated piece waits for more). */
export function lineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let rest = '';
  return (chunk) => {
    rest += chunk;
    let newline = rest.indexOf('\n');
    while (newline >= 0) {
      const line = rest.slice(0, newline).trim();
      rest = rest.slice(newline + 1);
      if (line) onLine(line);
      newline = rest.indexOf('\n');
    }
  };
}
