import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { ServerConfig } from '../config';
import { HttpError } from '../errors';
import type { Admission } from './admission';
import { JsonScan } from './json-scan';
import { type BodyEncoding, bodyEncoding, contentTypeProblem } from './media-type';
import { type BodyRead, readBody } from './read-body';

/** Bytes of a refused plain `/rerank` body read (and scanned, never parsed) to tell its flavour. */
export const FLAVOUR_PEEK_BYTES = 64 * 1024;

export interface HeaderCheck {
  /** How to decode the body (identity when its coding is the problem). */
  encoding: BodyEncoding;
  /** Why the request is refused before its body is read, if it is. */
  error?: Error;
}

/**
 * The rerank routes' request bodies: checks what the headers alone can tell (content type, coding,
 * declared size, whether the request could be queued), then reads the body once as bytes within
 * BODY_LIMIT and MAX_JSON_DEPTH, and parses it once. Replaces express.json, which read the body before
 * anything else could be decided and whose nesting was unbounded.
 */
export class BodyReader {
  readonly #config: Pick<ServerConfig, 'bodyLimitBytes' | 'maxJsonDepth'>;
  readonly #admission: Admission;

  constructor(config: Pick<ServerConfig, 'bodyLimitBytes' | 'maxJsonDepth'>, admission: Admission) {
    this.#config = config;
    this.#admission = admission;
  }

  /**
   * Refusals from the headers, before any body byte is read: 415 (type or coding), 413 (declared
   * length over BODY_LIMIT), then 503 (the queue is full, loading, draining).
   */
  check(req: IncomingMessage): HeaderCheck {
    const type = contentTypeProblem(req);
    const encoding = bodyEncoding(req);
    if (encoding instanceof HttpError) return { encoding: 'identity', error: type ?? encoding };
    if (type) return { encoding, error: type };
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.#config.bodyLimitBytes) {
      return {
        encoding,
        error: new HttpError(
          413,
          'PAYLOAD_TOO_LARGE',
          `The body (${declared} bytes) is larger than the limit of ${this.#config.bodyLimitBytes} bytes: send fewer or shorter documents, or raise BODY_LIMIT.`,
        ),
      };
    }
    return { encoding, error: this.#admission.refusal() };
  }

  /** Scans the start of a refused body for its top-level keys, keeping nothing; the rest is left unread. */
  async peek(req: IncomingMessage, encoding: BodyEncoding): Promise<JsonScan> {
    const read = await readBody(req, {
      limit: this.#config.bodyLimitBytes,
      maxDepth: this.#config.maxJsonDepth,
      encoding,
      peek: FLAVOUR_PEEK_BYTES,
    });
    return read.scan;
  }

  /**
   * Admits the request (it counts against the queue until its response ends) and reads its body.
   * The scan is left in `res.locals.bodyScan` while reading, so a request timeout can still answer in
   * the flavour the bytes so far show.
   */
  async read(req: IncomingMessage, res: ServerResponse, encoding: BodyEncoding): Promise<BodyRead> {
    this.#admission.enter(res);
    const scan = new JsonScan(this.#config.maxJsonDepth);
    localsOf(res).bodyScan = scan;
    return readBody(req, {
      limit: this.#config.bodyLimitBytes,
      maxDepth: this.#config.maxJsonDepth,
      encoding,
      scan,
    });
  }

  /** For routes whose flavour the path tells (`/v1`, `/v2`): check, read and parse, or fail. */
  readonly json: RequestHandler = async (req, res, next) => {
    const { encoding, error } = this.check(req);
    if (error) return next(error);
    req.body = parseJson(await this.read(req, res, encoding));
    next();
  };
}

/** The parsed body of a read that succeeded; an empty body is `{}`. Throws the read's error or 400. */
export function parseJson(read: BodyRead): unknown {
  if (read.error) throw read.error;
  const bytes = read.bytes!;
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0; // a UTF-8 BOM
  while (start < bytes.length && isWhitespace(bytes[start]!)) start++;
  if (start === bytes.length) return {};
  // Strict like body-parser: a rerank body is an object (an array gets the routes' own 422).
  if (bytes[start] !== 0x7b && bytes[start] !== 0x5b) {
    throw new HttpError(400, 'INVALID_JSON', 'The body must be a JSON object.');
  }
  try {
    return JSON.parse(bytes.toString('utf8', start));
  } catch (error) {
    throw new HttpError(400, 'INVALID_JSON', `The body is not valid JSON: ${(error as Error).message}.`);
  }
}

const isWhitespace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/** `res.locals` on an express response (the body reader also sees plain Node responses in tests). */
function localsOf(res: ServerResponse): Record<string, unknown> {
  const holder = res as ServerResponse & { locals?: Record<string, unknown> };
  holder.locals ??= {};
  return holder.locals;
}
