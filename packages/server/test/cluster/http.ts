// HTTP helpers for the cluster tests: JSON calls, Prometheus figures, polling and a client load loop.

export { poll } from '@reranker/testkit/processes';

export interface JsonResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are checked field by field
  body: any;
}

export async function getJson(url: string): Promise<JsonResponse> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, body: parse(text) };
}

export async function postJson(url: string, body: unknown): Promise<JsonResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: parse(text) };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Pairs the model ran on in one server process so far: the sum of the `reranker_batch_rows` histogram,
 * which the bin records for every model run (cached or borrowed pairs never reach the model).
 */
export async function modelRows(serverUrl: string): Promise<number> {
  const response = await fetch(`${serverUrl}/metrics/prometheus`);
  const text = await response.text();
  // One series per `model` label, created by the model's first run: their sum, 0 before any run.
  const matches = [...text.matchAll(/^reranker_batch_rows_sum(?:\{[^}]*\})? (\S+)$/gm)];
  if (response.status !== 200 || !text.includes('# TYPE reranker_batch_rows histogram')) {
    throw new Error(`no reranker_batch_rows_sum in ${serverUrl}/metrics/prometheus (${response.status})`);
  }
  return matches.reduce((sum, match) => sum + Number(match[1]), 0);
}

/** `count` short documents, unique to `tag`, so a request misses every cache. */
export function documents(tag: string, count: number, words = 12): string[] {
  const vocabulary = 'sun water panel cell river power grid light energy current storage wind'.split(' ');
  return Array.from({ length: count }, (_, i) => {
    const body = Array.from({ length: words }, (_, w) => vocabulary[(i * 7 + w * 3) % vocabulary.length]);
    return `${tag} document ${i}: ${body.join(' ')}`;
  });
}

export interface LoadFailure {
  request: number;
  status: number | 'network error';
  detail: string;
}

export interface LoadResult {
  sent: number;
  ok: number;
  failures: LoadFailure[];
}

export interface Load {
  /** Stops sending new requests and resolves once every in-flight request has finished. */
  stop(): Promise<LoadResult>;
  /** Successful requests so far. */
  ok(): number;
}

/**
 * `concurrency` clients, each sending POST `path` (body from `body(i)`) back to back until stopped.
 * Every non-200 answer and network error is recorded, never thrown.
 */
export function startLoad(options: {
  baseUrl: () => string;
  path: string;
  concurrency: number;
  body: (request: number) => unknown;
}): Load {
  const result: LoadResult = { sent: 0, ok: 0, failures: [] };
  let stopping = false;
  const client = async (): Promise<void> => {
    while (!stopping) {
      const request = result.sent++;
      try {
        const response = await postJson(`${options.baseUrl()}${options.path}`, options.body(request));
        if (response.status === 200 && Array.isArray(response.body?.results)) result.ok++;
        else {
          result.failures.push({ request, status: response.status, detail: JSON.stringify(response.body) });
        }
      } catch (error) {
        result.failures.push({ request, status: 'network error', detail: String(error) });
      }
    }
  };
  const clients = Array.from({ length: options.concurrency }, client);
  return {
    ok: () => result.ok,
    async stop() {
      stopping = true;
      await Promise.all(clients);
      return result;
    },
  };
}
