// Calls to the server's own routes, with the API key of this tab (sessionStorage) as a Bearer token.
const KEY = 'reranker-dashboard-key';

/** Raised on 401 so the page can ask for a key. */
export class NeedsKey extends Error {}

export function setKey(key) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

function headers(extra) {
  const key = sessionStorage.getItem(KEY);
  return key ? { ...extra, authorization: `Bearer ${key}` } : extra;
}

/** GET or POST JSON; throws NeedsKey on 401 and an Error with the server's message otherwise. */
export async function call(path, body) {
  const response = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: headers(
      body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
    ),
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  if (response.status === 401) throw new NeedsKey('This server needs an API key.');
  const json = await response.json().catch(() => null);
  if (!response.ok) {
    const message = json?.error?.message ?? json?.message ?? `HTTP ${response.status}`;
    throw new Error(message);
  }
  return json;
}
