import { type Dtype, errorMessage, ONNX_FILE_BY_DTYPE, type RerankerError } from '@reranker/core';
import { PYTORCH_FILES, PYTORCH_FIX, SUPPORTED_MODEL_TYPES } from '@reranker/onnx-builder';
import type { HubFailureDetails } from './download';

export const LOCAL_HINT =
  'To run without the hub, point at a local model folder: set RERANKER_LOCAL_MODEL_PATH=/path/to/folder ' +
  '(used when the hub fails) or RERANKER_MODEL=/path/to/folder.';

/** A failed hub load: what went wrong, and what to do about it (without the local-folder hint). */
export interface HubProblem {
  problem: string;
  advice: string;
  details: Record<string, unknown>;
}

export interface HubContext {
  id: string;
  revision: string;
  dtype: Dtype;
  endpoint: string;
  token?: string;
}

/** Explains a download failure (`details.reason` from `downloadFile` or the offline check). */
export function explainHubFailure(error: RerankerError, ctx: HubContext): HubProblem {
  const details = (error.details ?? {}) as Partial<HubFailureDetails>;
  return {
    problem: `Could not get ${ctx.id} (revision ${ctx.revision}) from ${ctx.endpoint}: ${error.message}`,
    advice: details.reason ? adviceFor(details.reason, details, ctx) : '',
    details: { ...details, model: ctx.id, revision: ctx.revision, endpoint: ctx.endpoint },
  };
}

function adviceFor(
  reason: HubFailureDetails['reason'],
  details: Partial<HubFailureDetails>,
  ctx: HubContext,
): string {
  switch (reason) {
    case 'network':
      return 'Check the network, or set HF_ENDPOINT if you use a mirror.';
    case 'cut-off':
      return 'Try again: the download restarts that file.';
    case 'offline':
      return 'Turn off RERANKER_OFFLINE / HF_HUB_OFFLINE for one run to download it.';
    case 'unauthorized':
      return ctx.token
        ? `The token in HF_TOKEN was refused: check that it can read ${ctx.id} (for a gated model, accept its terms on the model page).`
        : 'The model may be private or gated, or the id may be misspelled: set HF_TOKEN to an access token that can read it (https://huggingface.co/settings/tokens).';
    case 'not-found':
      if (details.file !== ONNX_FILE_BY_DTYPE[ctx.dtype])
        return 'Check RERANKER_MODEL and RERANKER_MODEL_REVISION.';
      if (details.checkpoint === 'unsupported')
        return `Graphs are built at load only for model_type ${SUPPORTED_MODEL_TYPES.join(', ')} (BERT, XLM-RoBERTa, DeBERTa-v2/v3 and ModernBERT cross-encoders; Qwen2/Qwen3 LLM rerankers): pick a repo that publishes an ONNX export of this model, or another RERANKER_DTYPE it has.`;
      if (details.checkpoint === 'pytorch')
        return `It has only ${PYTORCH_FILES[0]}, which is never loaded (unpickling runs arbitrary code): ${PYTORCH_FIX}; or pick a repo that publishes model.safetensors or an ONNX export.`;
      return `The repo has neither ${details.file}, the ONNX file for RERANKER_DTYPE=${ctx.dtype}, nor model.safetensors to build it from: pick another RERANKER_DTYPE, or a repo with ONNX exports (Xenova/... repos have them) or safetensors weights.`;
    case 'http':
      return 'The hub may be having trouble: try again later.';
  }
}

/** File system trouble in the cache (read-only disk, permissions, full disk). */
export function explainCacheFailure(error: unknown, cacheDir: string): HubProblem {
  return {
    problem: `Could not write the model cache at ${cacheDir}: ${errorMessage(error)}`,
    advice: 'Set RERANKER_CACHE_DIR to a writable folder with room for the model.',
    details: { cacheDir },
  };
}
