import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget, rampLevels, runLoad } from '../src/load';
import { errorCounts, formatSummary, loadMarkdown } from '../src/load-report';
import { type Outcome, summarize } from '../src/rerank-requests';

const outcome = (status: number, ok: boolean, ms: number, retryAfter = false): Outcome => ({
  status,
  ok,
  ms,
  retryAfter,
});

describe('summarize', () => {
  const s = summarize([
    outcome(200, true, 10),
    outcome(200, true, 30),
    outcome(200, true, 20),
    outcome(503, false, 1, true),
    outcome(503, false, 1, false),
    outcome(500, false, 5),
    outcome(500, false, 5),
    outcome(401, false, 2),
    outcome(0, false, 100),
    outcome(200, false, 3),
  ]);

  it('sorts failures by kind and takes percentiles of the successful requests only', () => {
    expect(s).toMatchObject({ total: 10, ok: 3, overloaded: 2, overloadedWithRetryAfter: 1 });
    expect(s).toMatchObject({ httpErrors: { 500: 2, 401: 1 }, networkErrors: 1, badBodies: 1 });
    expect(s.p50).toBe(20);
    expect(s.p99).toBeLessThanOrEqual(30);
    expect(s.p99).toBeGreaterThan(s.p95! - 1e-9);
    expect(errorCounts(s)).toEqual({ 401: 1, 500: 2, 503: 2, network: 1, 'malformed 200': 1 });
  });

  it('has no latency when nothing succeeded', () => {
    const none = summarize([outcome(0, false, 5)]);
    expect([none.p50, none.p95, none.p99]).toEqual([undefined, undefined, undefined]);
    expect(formatSummary(none, 1, 20)).toContain('latency p50: n/a');
  });

  it('prints the lines performance_test.sh always printed', () => {
    const lines = formatSummary(s, 2, 20);
    expect(lines).toContain('total requests: 10');
    expect(lines).toContain('success rate: 30.00%');
    expect(lines).toContain('other HTTP errors: 401×1, 500×2');
    expect(lines).toContain('requests/s: 1.50');
    expect(lines).toContain('documents/s: 30.0');
  });
});

describe('loadTarget and rampLevels', () => {
  it('accepts loopback hosts and refuses others unless allowed', () => {
    expect(loadTarget('http://127.0.0.1:8080', false).href).toBe('http://127.0.0.1:8080/rerank');
    expect(loadTarget('http://localhost:1', false).pathname).toBe('/rerank');
    expect(() => loadTarget('http://example.com', false)).toThrow(
      /not a loopback address: pass --allow-remote/,
    );
    expect(loadTarget('http://example.com', true).host).toBe('example.com');
    expect(() => loadTarget('not a url', false)).toThrow(/is not a URL/);
  });

  it('ramps 1, 2, 4, … up to the maximum', () => {
    expect(rampLevels(10)).toEqual([1, 2, 4, 8, 10]);
    expect(rampLevels(1)).toEqual([1]);
  });
});

describe('runLoad against a stand-in server', () => {
  let server: Server;
  let url: string;
  let seen = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  beforeAll(async () => {
    // Every third request is shed (503 + Retry-After), every seventh fails (500); the rest are scored.
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const n = ++seen;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        setTimeout(() => {
          inFlight--;
          const { documents } = JSON.parse(body) as { documents: string[] };
          if (n % 3 === 0) res.writeHead(503, { 'retry-after': '1' }).end('busy');
          else if (n % 7 === 0) res.writeHead(500).end('boom');
          else
            res
              .writeHead(200, { 'content-type': 'application/json' })
              .end(
                JSON.stringify({ results: documents.map((_, index) => ({ index, relevance_score: 0.5 })) }),
              );
        }, 5);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const options = {
    mode: 'load' as const,
    requests: 21,
    concurrency: 4,
    docs: 3,
    docWords: 10,
    seed: 1,
    timeoutMs: 10_000,
    maxSeconds: 60,
    allowRemote: false,
  };

  it('counts every outcome, keeps the bound on requests in flight, and hides the API key', async () => {
    seen = 0;
    maxInFlight = 0;
    const result = await runLoad({ ...options, url, apiKey: 'secret' });
    expect(result.summary).toMatchObject({ total: 21, overloaded: 7, httpErrors: { 500: 2 } });
    expect(result.summary.ok).toBe(12);
    expect(maxInFlight).toBeLessThanOrEqual(4);
    expect(result.hardFailures).toBe(9); // 503s count as failures outside stress
    expect(JSON.stringify(result)).not.toContain('secret');
    const markdown = loadMarkdown(result);
    expect(markdown).toContain('| load (all) | 21 | 12 |');
    expect(markdown).toContain('500×2, 503×7');
  });

  it('stress ramps the concurrency in stages and expects 503 + Retry-After', async () => {
    seen = 0;
    const stages: number[] = [];
    const result = await runLoad({ ...options, url, mode: 'stress', requests: 12 }, (s) =>
      stages.push(s.concurrency),
    );
    expect(stages).toEqual([1, 2, 4]);
    expect(result.stages.map((s) => s.summary.total)).toEqual([4, 4, 4]);
    expect(result.hardFailures).toBe(result.summary.total - result.summary.ok - result.summary.overloaded);
    expect(loadMarkdown(result)).toContain('| concurrency 4 | 4 |');
  });
});
