import type { IncomingMessage } from 'node:http';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { RerankerError } from '@reranker/core';
import { HttpError } from '../errors';
import { JsonScan } from './json-scan';
import type { BodyEncoding } from './media-type';

export interface ReadOptions {
  /** Most bytes, before and after decoding (a small gzip body cannot inflate past it). */
  limit: number;
  /** Deepest nesting of objects and arrays. */
  maxDepth: number;
  encoding: BodyEncoding;
  /** Only scan this many decoded bytes and keep none (the flavour of an error); the rest is left unread. */
  peek?: number;
  /** The scan to feed (so a caller can look at it while the body arrives). @default a new one */
  scan?: JsonScan;
}

export interface BodyRead {
  /** What the bytes read show: top-level keys, nesting. */
  scan: JsonScan;
  /** The decoded body, when it was read whole and within the limits (never when peeking). */
  bytes?: Buffer;
  /** Why the body is refused: too large, undecodable, too deep, or the client left. */
  error?: Error;
}

/**
 * Reads a request body once, as bytes: decodes its content coding, counts it against the limit as it
 * arrives, and scans it (`JsonScan`) on the way. It never throws; when it stops early (an error, or a
 * peek) it leaves the rest of the body unread: the error answer decides its fate (`leaveUnreadBody`).
 */
export function readBody(req: IncomingMessage, options: ReadOptions): Promise<BodyRead> {
  const { limit, maxDepth, encoding, peek } = options;
  return new Promise((resolve) => {
    let scan = options.scan ?? new JsonScan(maxDepth);
    const chunks: Buffer[] = [];
    let size = 0;
    const decoder = createDecoder(encoding);
    // Compressed input is kept (it is within the limit) to tell the flavour if it will not decode.
    const raw: Buffer[] = [];
    let rawSize = 0;
    let settled = false;

    const settle = (result: Omit<BodyRead, 'scan'>) => {
      if (settled) return;
      settled = true;
      req.off('data', onRaw);
      req.off('end', onEnd);
      req.off('close', onClose);
      if (decoder) {
        decoder.off('data', onDecoded);
        decoder.off('end', onDecodedEnd);
        decoder.destroy();
      }
      // Stop taking the rest: the answer decides whether it is read and discarded (leaveUnreadBody).
      if (!req.complete) req.pause();
      resolve({ scan, ...result });
    };

    const onDecoded = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return settle({ error: tooLarge(limit, decoder !== undefined) });
      scan.write(chunk);
      if (peek !== undefined) {
        if (size >= peek) settle({});
        return;
      }
      // Past the depth limit nothing is kept, but the scan goes on: keys after it still tell the flavour.
      if (scan.tooDeep === undefined) chunks.push(chunk);
    };
    const onDecodedEnd = () => {
      if (peek !== undefined) return settle({});
      if (scan.tooDeep !== undefined) return settle({ error: tooDeep(scan.tooDeep, maxDepth) });
      settle({ bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    };
    const onRaw = (chunk: Buffer) => {
      if (!decoder) return onDecoded(chunk);
      rawSize += chunk.length;
      if (rawSize > limit) return settle({ error: tooLarge(limit, false) });
      raw.push(chunk);
      decoder.write(chunk);
    };
    const onEnd = () => (decoder ? decoder.end() : onDecodedEnd());
    const onClose = () => {
      if (!req.complete) {
        settle({ error: new RerankerError('ABORTED', 'The client closed the connection during the body.') });
      }
    };

    decoder?.on('data', onDecoded);
    decoder?.once('end', onDecodedEnd);
    decoder?.on('error', (error) => {
      if (settled) return;
      // Nothing decoded: the flavour comes from the bytes as sent, often JSON labelled compressed by
      // mistake. Otherwise (a body cut short) from what did decode.
      if (size === 0) {
        scan = new JsonScan(maxDepth);
        for (const chunk of raw) scan.write(chunk);
      }
      settle({
        error: new HttpError(
          400,
          'INVALID_ENCODING',
          `The body is not valid ${encoding} data as its Content-Encoding says (${error.message}): compress it, or leave the header out.`,
        ),
      });
    });
    req.on('data', onRaw);
    req.once('end', onEnd);
    req.once('close', onClose);
  });
}

function createDecoder(encoding: BodyEncoding): Transform | undefined {
  switch (encoding) {
    case 'gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

function tooLarge(limit: number, decoded: boolean): HttpError {
  return new HttpError(
    413,
    'PAYLOAD_TOO_LARGE',
    `The body is larger than the limit of ${limit} bytes${decoded ? ' once decompressed' : ''}: send fewer or shorter documents, or raise BODY_LIMIT.`,
  );
}

function tooDeep(field: string, maxDepth: number): HttpError {
  return new HttpError(
    400,
    'NESTING_TOO_DEEP',
    `${field || 'The body'} is nested more than ${maxDepth} levels deep (objects and arrays): flatten it, or raise MAX_JSON_DEPTH.`,
    field ? { field } : {},
  );
}
