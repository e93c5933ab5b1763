import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorMessage, RerankerError } from '@reranker/core';
import type { FileProgress, ProgressReporter } from './progress';

/** Why a hub download failed; `resolveModel` turns each into advice. */
export type HubFailureReason = 'network' | 'cut-off' | 'unauthorized' | 'not-found' | 'http' | 'offline';

export interface HubFailureDetails {
  reason: HubFailureReason;
  file: string;
  url?: string;
  status?: number;
  [key: string]: unknown;
}

export function hubFailure(message: string, details: HubFailureDetails, cause?: unknown): RerankerError {
  return new RerankerError('MODEL_LOAD_FAILED', message, { details, cause });
}

export interface DownloadRequest {
  url: string;
  /** Final path; nothing is written there unless the whole file arrived. */
  dest: string;
  /** The repo-relative name, for messages and progress. */
  file: string;
  token?: string;
  progress: ProgressReporter;
  signal?: AbortSignal;
  /** Abort when no byte arrives for this long. */
  stallTimeoutMs: number;
}

/** A file that arrived whole. */
export interface DownloadedFile {
  size: number;
  /** SHA-256 (hex) of the bytes written, computed as they streamed past (no second read). */
  sha256: string;
  /** The commit the hub served it from (`X-Repo-Commit`), when the final response carried it. */
  commit?: string;
}

/**
 * Streams one file to a temp file next to `dest` and renames it into place only when complete, so a
 * crash or a cut connection never leaves a partial file under the final name.
 */
export async function downloadFile(request: DownloadRequest): Promise<DownloadedFile> {
  const { url, file } = request;
  const stall = new AbortController();
  let timer = setTimeout(() => stall.abort(), request.stallTimeoutMs);
  const resetTimer = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(), request.stallTimeoutMs);
  };
  const signal = request.signal ? AbortSignal.any([request.signal, stall.signal]) : stall.signal;
  const headers: Record<string, string> = { 'user-agent': 'reranker (+@reranker/node)' };
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  const tmp = `${request.dest}.part-${process.pid}-${randomBytes(4).toString('hex')}`;
  const hash = createHash('sha256');
  let loaded = 0;
  let total: number | undefined;
  let progress: FileProgress | undefined;
  try {
    let response: Response;
    try {
      response = await fetch(url, { headers, signal });
    } catch (error) {
      throw networkFailure(request, stall.signal.aborted, error);
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw statusFailure(request, response.status);
    }
    total = declaredLength(response);
    progress = request.progress.file(file, total);
    await mkdir(dirname(request.dest), { recursive: true });
    const handle = await open(tmp, 'w');
    try {
      const reader = response.body?.getReader();
      while (reader) {
        // Only read failures mean a cut connection; write failures (disk full) surface as they are.
        const next = await reader.read().catch((error: unknown) => {
          throw cutOff(request, loaded, total, stall.signal.aborted, error);
        });
        if (next.done) break;
        resetTimer();
        await handle.write(next.value);
        hash.update(next.value);
        loaded += next.value.byteLength;
        progress.update(loaded);
      }
    } finally {
      await handle.close();
    }
    if (total !== undefined && loaded !== total) throw cutOff(request, loaded, total, false);
    await rename(tmp, request.dest);
    progress.finish();
    // The hub sends it on resolve answers; an LFS file's redirect target (a CDN) does not.
    const commit = response.headers.get('x-repo-commit') ?? undefined;
    return { size: loaded, sha256: hash.digest('hex'), ...(commit && { commit }) };
  } catch (error) {
    progress?.abort();
    await rm(tmp, { force: true });
    if (request.signal?.aborted) {
      throw new RerankerError('ABORTED', `The download of ${file} was aborted.`, { cause: error });
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** The body size the server promised, when bytes on the wire are bytes on disk (not compressed). */
function declaredLength(response: Response): number | undefined {
  const encoding = response.headers.get('content-encoding');
  if (encoding && encoding !== 'identity') return undefined;
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

function networkFailure(request: DownloadRequest, stalled: boolean, error: unknown): RerankerError {
  const why = stalled
    ? `no answer within ${request.stallTimeoutMs / 1000} s`
    : errorMessage(error) + causeText(error);
  return hubFailure(
    `the hub was unreachable at ${request.url} (${why})`,
    {
      reason: 'network',
      file: request.file,
      url: request.url,
    },
    error,
  );
}

function statusFailure(request: DownloadRequest, status: number): RerankerError {
  const reason: HubFailureReason =
    status === 401 || status === 403 ? 'unauthorized' : status === 404 ? 'not-found' : 'http';
  return hubFailure(`the hub answered HTTP ${status} for ${request.url}`, {
    reason,
    file: request.file,
    url: request.url,
    status,
  });
}

function cutOff(
  request: DownloadRequest,
  loaded: number,
  total: number | undefined,
  stalled: boolean,
  error?: unknown,
): RerankerError {
  const of = total === undefined ? '' : ` of ${total}`;
  const why = stalled
    ? `: no data for ${request.stallTimeoutMs / 1000} s`
    : error
      ? `: ${errorMessage(error)}`
      : '';
  return hubFailure(
    `the download of ${request.file} was cut off after ${loaded}${of} bytes${why} (the partial file was discarded)`,
    { reason: 'cut-off', file: request.file, url: request.url, loaded, total },
    error,
  );
}

/** undici hides the useful part ("connect ECONNREFUSED 127.0.0.1:9") in `cause`. */
function causeText(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause ? `: ${errorMessage(cause)}` : '';
}
