import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from '../errors';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Requires `Authorization: Bearer <key>` with one of `keys`; no keys means no check. Keys are compared
 * as SHA-256 digests with `timingSafeEqual` (equal lengths, constant time), and every key is compared
 * so the time does not depend on which one matched.
 */
export function requireApiKey(keys: readonly string[]): RequestHandler {
  const digests = keys.map(digest);
  return (req, _res, next) => {
    if (digests.length === 0) return next();
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match) {
      return next(
        new HttpError(401, 'UNAUTHORIZED', 'Missing API key: send the header "Authorization: Bearer <key>".'),
      );
    }
    const given = digest(match[1]!.trim());
    let ok = false;
    for (const key of digests) ok = timingSafeEqual(given, key) || ok;
    if (!ok) return next(new HttpError(401, 'UNAUTHORIZED', 'Invalid API key.'));
    next();
  };
}
