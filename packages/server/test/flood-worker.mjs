// Load and probes for flood.test.ts, in threads of their own so the clients' work does not run on the
// server's event loop (the main thread): role 'flood' posts large bodies from many clients, role
// 'health' polls /health until told to stop. Plain JavaScript: worker threads are not transformed.
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { role, url, clients, perClient, bodyBytes } = workerData;
// Unbounded sockets: a client whose last body is still uploading (the server answered before reading
// it) opens another connection instead of queueing in the agent, which would count as server latency.
const agent = new Agent({ keepAlive: true });
const healthAgent = new Agent({ keepAlive: true });

/** One large body per API: native and TEI on /rerank, Cohere on /v1/rerank. */
const filler = 'x'.repeat(bodyBytes);
const TARGETS = [
  { flavour: 'native', path: '/rerank', body: JSON.stringify({ query: 'q', documents: [filler] }) },
  { flavour: 'tei', path: '/rerank', body: JSON.stringify({ query: 'q', texts: [filler] }) },
  { flavour: 'cohere', path: '/v1/rerank', body: JSON.stringify({ query: 'q', documents: [filler] }) },
].map((t) => ({ ...t, bytes: Buffer.from(t.body) }));

function send(method, path, bytes, via = agent) {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = request(
      `${url}${path}`,
      {
        method,
        agent: via,
        headers: bytes ? { 'content-type': 'application/json', 'content-length': bytes.length } : {},
      },
      (res) => {
        const chunks = [];
        const headersMs = performance.now() - started;
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            retryAfter: res.headers['retry-after'],
            body: Buffer.concat(chunks).toString(),
            headersMs,
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on('error', (error) => resolve({ status: 0, error: String(error), ms: performance.now() - started }));
    req.end(bytes);
  });
}

if (role === 'health') {
  // /health every 5 ms until the main thread says stop, from a thread of its own.
  const health = [];
  let stopped = false;
  parentPort.once('message', () => {
    stopped = true;
  });
  while (!stopped) {
    const res = await send('GET', '/health', undefined, healthAgent);
    health.push({ status: res.status, ms: res.ms });
    await new Promise((r) => setTimeout(r, 5));
  }
  healthAgent.destroy();
  parentPort.postMessage(health);
} else {
  const refusals = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const target = TARGETS[i % TARGETS.length];
      for (let n = 0; n < perClient; n++) {
        const res = await send('POST', target.path, target.bytes);
        refusals.push({ flavour: target.flavour, ...res });
      }
    }),
  );
  agent.destroy();
  parentPort.postMessage(refusals);
}
