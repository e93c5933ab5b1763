import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

// Ids are echoed into logs and headers: keep them short and printable.
const SAFE_ID = /^[\w.:\-/=+]{1,128}$/;

/**
 * The request's id: the client's `x-request-id` when it is a sane token, else a new UUID. It is
 * returned in the `x-request-id` response header and logged (`requestLogging`).
 */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}
