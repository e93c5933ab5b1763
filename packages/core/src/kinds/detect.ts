import { RerankerError } from '../errors';
import type { ModelConfig } from '../model';
import { crossEncoderKind } from './cross-encoder';
import { decoderKind } from './decoder';
import type { ModelKind } from './kind';
import { QWEN3_RERANKER_TEMPLATE, type YesNoRerankerTemplate } from './yes-no-template';

export interface DetectKindOptions {
  /** The prompt of a yes/no reranker. @default QWEN3_RERANKER_TEMPLATE for Qwen3 architectures */
  template?: YesNoRerankerTemplate;
  /** The default instruction of a decoder reranker. @default the template's */
  instruction?: string;
  /** Names the model in errors. */
  source: string;
}

const CAUSAL = new Set(['Qwen3ForCausalLM', 'Qwen2ForCausalLM']);
const SEQ_CLS = new Set(['Qwen3ForSequenceClassification', 'Qwen2ForSequenceClassification']);
const DECODER_TYPES = new Set(['qwen3', 'qwen2']);

/**
 * The kind of a model from its `config.json` (`architectures`, else `model_type`), never from its
 * name. Qwen2 rerankers have no shared prompt, so they need an explicit `template`.
 */
export function detectModelKind(config: ModelConfig, options: DetectKindOptions): ModelKind {
  const architectures = Array.isArray(config.architectures) ? (config.architectures as unknown[]) : [];
  const causal = architectures.find((a): a is string => typeof a === 'string' && CAUSAL.has(a));
  const seqCls = architectures.find((a): a is string => typeof a === 'string' && SEQ_CLS.has(a));
  const decoder =
    causal ??
    seqCls ??
    (architectures.length === 0 && DECODER_TYPES.has(config.model_type) ? config.model_type : undefined);
  if (decoder === undefined) {
    const unsupported = architectures.find((a) => typeof a === 'string' && /ForCausalLM$/.test(a));
    if (unsupported !== undefined) {
      throw new RerankerError(
        'MODEL_LOAD_FAILED',
        `${options.source} is a ${String(unsupported)}; LLM rerankers are supported for ${[...CAUSAL].join(', ')} and their ${[...SEQ_CLS].join(', ')} conversions.`,
      );
    }
    if (options.template !== undefined || options.instruction !== undefined) {
      throw new RerankerError(
        'INVALID_CONFIG',
        `${options.source} is a cross-encoder, which takes no ${options.template !== undefined ? 'template' : 'instruction'}; these apply to LLM rerankers (e.g. Qwen3-Reranker).`,
        { details: { option: options.template !== undefined ? 'template' : 'instruction' } },
      );
    }
    return crossEncoderKind(config, options.source);
  }
  const qwen3 = decoder.startsWith('Qwen3') || decoder === 'qwen3';
  if (options.template === undefined && !qwen3) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `${options.source} is a ${decoder} reranker; Qwen2-based rerankers each have their own prompt, so pass its template (see YesNoRerankerTemplate; QWEN3_RERANKER_TEMPLATE if it follows Qwen3-Reranker's).`,
    );
  }
  return decoderKind(config, options.source, {
    template: options.template ?? QWEN3_RERANKER_TEMPLATE,
    instruction: options.instruction,
    seqCls: seqCls !== undefined && causal === undefined,
  });
}
