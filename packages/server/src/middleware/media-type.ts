import type { IncomingMessage } from 'node:http';
import { parse } from 'content-type';
import { HttpError } from '../errors';

/** Content codings a body may arrive in; the size limit applies to the decoded bytes. */
export type BodyEncoding = 'identity' | 'gzip' | 'deflate' | 'br';

const CODINGS: Record<string, BodyEncoding> = {
  identity: 'identity',
  gzip: 'gzip',
  'x-gzip': 'gzip',
  deflate: 'deflate',
  br: 'br',
};

// A media type whose subtype ends in +json (application/vnd.api+json, application/problem+json).
const JSON_SUFFIX = /^[\w.!#$&^+-]+\/[\w.!#$&^+-]+\+json$/;

/**
 * Why a rerank body's `Content-Type` is refused (415), or undefined when it is JSON: `application/json`
 * or any `…+json`, without a charset or with UTF-8. No header at all counts as JSON, as the FastAPI
 * original did (Python's `requests.post(url, data=…)` sends none); a browser form cannot send a body
 * without one, so forms still cannot make the server work.
 */
export function contentTypeProblem(req: IncomingMessage): HttpError | undefined {
  const header = req.headers['content-type'];
  if (header === undefined || header.trim() === '') return undefined;
  let type: string;
  let charset: string | undefined;
  try {
    const parsed = parse(header);
    type = parsed.type.toLowerCase();
    charset = parsed.parameters.charset?.toLowerCase();
  } catch {
    return unsupported(
      `The Content-Type "${printable(header)}" is not a valid media type: send application/json.`,
    );
  }
  if (type !== 'application/json' && !JSON_SUFFIX.test(type)) {
    return unsupported(
      `The Content-Type ${type} is not accepted: send the body as JSON with Content-Type: application/json.`,
    );
  }
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return unsupported(
      `The charset ${printable(charset)} is not accepted: send UTF-8 JSON (charset=utf-8 or none).`,
    );
  }
  return undefined;
}

/** The body's content coding, or a 415 for one this server cannot decode. */
export function bodyEncoding(req: IncomingMessage): BodyEncoding | HttpError {
  const header = req.headers['content-encoding']?.trim().toLowerCase();
  if (!header) return 'identity';
  const coding = CODINGS[header];
  if (coding) return coding;
  return unsupported(
    `The Content-Encoding "${printable(header)}" is not supported: send the body as is, or in one of gzip, deflate or br.`,
  );
}

function unsupported(message: string): HttpError {
  return new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', message);
}

/** Header text echoed in an error message: short and printable. */
function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 80)}…` : clean;
}
