import { RerankerError } from '@reranker/core';

/**
 * All of stdin as text. Refuses a terminal (the documents must be piped or redirected, or the command
 * would sit waiting for typing) and bytes that are not UTF-8 (rather than ranking mangled text).
 */
export async function readStdin(stdin: NodeJS.ReadStream): Promise<string> {
  if (stdin.isTTY) {
    throw new RerankerError(
      'INVALID_INPUT',
      'the documents are read from stdin: pipe or redirect them, e.g. `reranker rank --model M --query Q < docs.txt`.',
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(chunk as Buffer);
  try {
    // ignoreBOM false: a leading byte-order mark is dropped, as editors on Windows write one.
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new RerankerError('INVALID_INPUT', 'the input is not valid UTF-8 text.');
  }
}
