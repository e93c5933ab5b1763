import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS, post, QUERY, startServer, type TestServer } from './helpers';

let strict: TestServer;
let lenient: TestServer;
beforeAll(async () => {
  strict = await startServer({
    config: { strictModelNames: true, modelAliases: ['rerank-v3.5', 'jina-reranker-v2'] },
  });
  lenient = await startServer();
});
afterAll(async () => {
  await strict.close();
  await lenient.close();
});

describe('model names', () => {
  it('strict mode accepts the served name and aliases, case-insensitively, and 404s the rest', async () => {
    const served = strict.app.service.modelName;
    for (const model of [served, served.toUpperCase(), 'rerank-v3.5', 'JINA-reranker-v2', undefined]) {
      const res = await post(`${strict.url}/v2/rerank`, { model, query: QUERY, documents: DOCS });
      expect([model, res.status, res.body.model]).toEqual([model, 200, served]);
    }
    const unknown = await post(`${strict.url}/v1/rerank`, {
      model: '/etc/passwd',
      query: QUERY,
      documents: DOCS,
    });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'MODEL_NOT_FOUND']);
    // The error lists the names that work, never a server path.
    expect(unknown.body.message).toContain('rerank-v3.5');
    expect(unknown.body.message).not.toContain('/tmp');
  });

  it('lenient mode answers any name with the served model and says so', async () => {
    const res = await post(`${lenient.url}/v1/rerank`, {
      model: 'rerank-english-v2.0',
      query: QUERY,
      documents: DOCS,
    });
    expect([res.status, res.body.model]).toEqual([200, lenient.app.service.modelName]);
    expect(res.body.model).not.toContain('/');
  });
});
