import { RerankerError } from '@reranker/core';

// The hub's own rules for repo names: letters, digits, `.`, `_`, `-`, starting with a letter or digit.
const PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const REVISION = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/**
 * Checks that `model` is a hub id (`owner/name`), which is also used as a cache path, so anything
 * that could escape the cache folder or confuse the URL is refused before any request.
 */
export function parseHubId(model: string): { owner: string; name: string; id: string } {
  const parts = model.split('/');
  const ok = parts.length === 2 && parts.every((part) => PART.test(part) && !part.includes('..'));
  if (!ok) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `model "${model}" is neither an existing folder nor a hub model id: set RERANKER_MODEL to a hub id ` +
        'such as Xenova/ms-marco-MiniLM-L-6-v2 (owner/name: letters, digits, ".", "_", "-") or to the path ' +
        'of a model folder (absolute, ./relative or ~/...).',
      { details: { model } },
    );
  }
  return { owner: parts[0]!, name: parts[1]!, id: model };
}

/** Checks a branch, tag or commit name before it goes into a URL and a folder name. */
export function checkRevision(revision: string): void {
  if (revision.length > 255 || !REVISION.test(revision) || revision.split('/').some((p) => /^\.+$/.test(p))) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `revision "${revision}" is not a valid hub revision: set RERANKER_MODEL_REVISION to a branch, tag or ` +
        'commit hash such as main or refs/pr/1.',
      { details: { revision } },
    );
  }
}
