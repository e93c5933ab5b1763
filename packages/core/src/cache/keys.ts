import { RerankerError } from '../errors';
import { hex } from '../hex';

/** Everything besides the texts that changes a pair's logits: a key must cover all of it. */
export interface PairKeyContext {
  modelId: string;
  revision: string;
  /** What was loaded, as content (`ModelFiles.fingerprint`): a new model at the same id gets new keys. */
  fingerprint: string;
  dtype: string;
  maxLength: number;
  truncation: string;
  maxQueryTokens: number;
}

/** Bumped whenever the key layout changes, so old entries are never read with a new meaning. */
const KEY_VERSION = 'v2';

const encoder = new TextEncoder();

/**
 * The readable part of every key of one model, revision and content, e.g.
 * `reranker:v2:Xenova/ms-marco@main:3f1c0a9b2e7d` (the fingerprint's first 12 characters), for scanning
 * or deleting a model's entries in a shared store, such as those of the model an upgrade replaced.
 * Characters other than letters, digits and `._/-` become `_` (so glob and separator characters never
 * appear); uniqueness comes from the hash, which covers the whole fingerprint.
 */
export function pairNamespace(context: PairKeyContext): string {
  const content = readable(context.fingerprint.slice(0, 12));
  return `reranker:${KEY_VERSION}:${readable(context.modelId)}@${readable(context.revision)}:${content}`;
}

/**
 * One key per document, `<namespace>:<sha256 hex>`, in document order. The hash covers the key
 * version, every context field, the query, the model kind's `parts` (a decoder's template and
 * instruction; none for cross-encoders, whose keys are unchanged by kinds) and the document, each
 * JSON-encoded so no two different inputs share bytes (field boundaries and lone surrogates survive
 * the encoding).
 */
export async function pairKeys(
  context: PairKeyContext,
  query: string,
  documents: readonly string[],
  parts: readonly unknown[] = [],
): Promise<string[]> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) {
    throw new RerankerError(
      'INVALID_CONFIG',
      'The rerank cache needs Web Crypto (globalThis.crypto.subtle) to hash its keys, and this runtime has ' +
        'none; browsers expose it only on secure origins (https or localhost). Serve the page securely or ' +
        'disable the cache.',
    );
  }
  const namespace = pairNamespace(context);
  // A JSON array is self-delimiting, so the shared prefix can be encoded once and the document appended.
  const prefix = encoder.encode(
    JSON.stringify([
      KEY_VERSION,
      context.modelId,
      context.revision,
      context.fingerprint,
      context.dtype,
      context.maxLength,
      context.truncation,
      context.maxQueryTokens,
      query,
      ...parts,
    ]),
  );
  return Promise.all(
    documents.map(async (document) => {
      const body = encoder.encode(JSON.stringify(document));
      const bytes = new Uint8Array(prefix.length + body.length);
      bytes.set(prefix);
      bytes.set(body, prefix.length);
      return `${namespace}:${hex(await subtle.digest('SHA-256', bytes))}`;
    }),
  );
}

function readable(text: string): string {
  return text.replace(/[^A-Za-z0-9._/-]/g, '_');
}
