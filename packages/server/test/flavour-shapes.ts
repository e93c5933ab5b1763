import { request } from 'node:http';
import { expect } from 'vitest';
import type { Json } from './helpers';

export type Shape = 'native' | 'tei' | 'cohere';

/** Which API's error shape a body has (and nothing else): native, TEI or Cohere/Jina. */
export function shapeOf(body: Json): Shape | 'unknown' {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'unknown';
  const keys = Object.keys(body).sort().join(',');
  if (keys === 'error,error_type' && typeof body.error === 'string') return 'tei';
  if (
    typeof body.error === 'object' &&
    typeof body.error?.code === 'string' &&
    body.detail === body.error.message
  ) {
    return 'native';
  }
  if (typeof body.message === 'string' && typeof body.code === 'string' && !('error' in body))
    return 'cohere';
  return 'unknown';
}

/** The error code of a body in any shape (TEI bodies carry none: their `error_type`). */
export function codeOf(body: Json): string {
  return body?.error?.code ?? body?.code ?? body?.error_type;
}

/** Asserts a response is `status` with an error in `shape` and (native, Cohere) `code`. */
export function expectError(
  res: { status: number; body: Json },
  status: number,
  shape: Shape,
  code: string,
  teiType = 'Validation',
): void {
  expect({ status: res.status, shape: shapeOf(res.body) }).toEqual({ status, shape });
  expect(codeOf(res.body)).toBe(shape === 'tei' ? teiType : code);
}

/** POSTs `body` without a Content-Length (chunked), the way streaming clients send. */
export function postChunked(
  url: string,
  body: Buffer | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: Json }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Json = text;
          try {
            parsed = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    const bytes = Buffer.from(body);
    // Several writes, so the body really goes out in chunks.
    for (let i = 0; i < bytes.length; i += 16_384) req.write(bytes.subarray(i, i + 16_384));
    req.end();
  });
}
