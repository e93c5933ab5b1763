import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS, get, OPERATIONS_PATHS, post, QUERY, startServer, type TestServer } from './helpers';

const body = { query: QUERY, documents: DOCS };
let open: TestServer;
let keyed: TestServer;
let locked: TestServer;

beforeAll(async () => {
  open = await startServer({ config: { corsOrigins: ['https://app.example'] } });
  keyed = await startServer({ config: { apiKeys: ['key-one', 'key-two'] } });
  locked = await startServer({ config: { apiKeys: ['key-one'], metricsRequireAuth: true } });
});
afterAll(async () => {
  await Promise.all([open.close(), keyed.close(), locked.close()]);
});

describe('API keys', () => {
  it('are not needed when API_KEYS is unset', async () => {
    expect((await post(`${open.url}/rerank`, body)).status).toBe(200);
    expect((await post(`${open.url}/rerank`, body, { authorization: 'Bearer whatever' })).status).toBe(200);
  });

  it.each([
    ['no header', {}],
    ['a wrong key', { authorization: 'Bearer key-three' }],
    ['a prefix of a key', { authorization: 'Bearer key-' }],
    ['another scheme', { authorization: 'Basic key-one' }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('refuse %s with a JSON 401 in each flavour', async (_name, headers: Record<string, string>) => {
    const native = await post(`${keyed.url}/rerank`, body, headers);
    expect(native.status).toBe(401);
    expect(native.body.error.code).toBe('UNAUTHORIZED');
    const cohere = await post(`${keyed.url}/v1/rerank`, body, headers);
    expect([cohere.status, cohere.body.code]).toEqual([401, 'UNAUTHORIZED']);
  });

  it('accept any configured key, case-insensitive scheme', async () => {
    for (const authorization of ['Bearer key-one', 'Bearer key-two', 'bearer key-one']) {
      const res = await post(`${keyed.url}/rerank`, body, { authorization });
      expect(res.status).toBe(200);
    }
    const tei = await post(
      `${keyed.url}/rerank`,
      { query: QUERY, texts: DOCS },
      { authorization: 'Bearer key-two' },
    );
    expect(tei.body).toHaveLength(DOCS.length);
  });

  it('leave health, readiness, info and metrics open by default', async () => {
    for (const path of OPERATIONS_PATHS) {
      expect([path, (await get(`${keyed.url}${path}`)).status]).toEqual([path, 200]);
    }
  });

  it('cover health and metrics too with METRICS_REQUIRE_AUTH', async () => {
    for (const path of ['/health', '/readyz', '/metrics', '/info']) {
      expect([path, (await get(`${locked.url}${path}`)).status]).toEqual([path, 401]);
      expect([path, (await get(`${locked.url}${path}`, { authorization: 'Bearer key-one' })).status]).toEqual(
        [path, 200],
      );
    }
  });
});

describe('CORS', () => {
  it('is off unless CORS_ORIGINS is set', async () => {
    const res = await get(`${keyed.url}/health`, { origin: 'https://app.example' });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows the configured origins only, preflight included', async () => {
    const allowed = await get(`${open.url}/health`, { origin: 'https://app.example' });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const other = await get(`${open.url}/health`, { origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${open.url}/v1/rerank`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });
});
