import { RerankerError } from '../errors';
import { labelCount, type ModelConfig } from '../model';
import { scoreFromLogits } from '../scores';
import { validateInstruction } from './instruction';
import type { KindEncoder, ModelKind } from './kind';
import { PromptEncoder } from './prompt-encoder';
import { validateTemplate, type YesNoRerankerTemplate } from './yes-no-template';

/** Decoder kinds default to the model card's limit, not the config's (40960 positions for Qwen3). */
export const DECODER_MAX_LENGTH = 8192;

export interface DecoderKindOptions {
  template: Readonly<YesNoRerankerTemplate>;
  /** The reranker's default instruction. @default template.defaultInstruction */
  instruction?: string;
  seqCls: boolean;
}

/** Throws INVALID_CONFIG unless the reranker's default instruction is a string (a call's: `validateInstruction`). */
function checkDefaultInstruction(value: unknown): string {
  if (typeof value !== 'string') {
    throw new RerankerError('INVALID_CONFIG', `instruction must be a string, got ${typeof value}.`, {
      details: { option: 'instruction' },
    });
  }
  return value;
}

/** A yes/no LLM reranker (`decoder-yes-no`) or its one-label seq-cls conversion (`decoder-seq-cls`). */
export function decoderKind(config: ModelConfig, source: string, options: DecoderKindOptions): ModelKind {
  const { template, seqCls } = options;
  validateTemplate(template);
  const defaultInstruction =
    options.instruction === undefined
      ? template.defaultInstruction
      : checkDefaultInstruction(options.instruction);
  const name = seqCls ? 'decoder-seq-cls' : 'decoder-yes-no';
  if (seqCls && labelCount(config) !== 1) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `${source} is a sequence-classification decoder with ${labelCount(config)} labels; a reranker conversion has 1 (the log-odds of "yes").`,
    );
  }
  // The pair's logits: [no, yes] read from the LM head, or the seq-cls head's one logit.
  const numLabels = seqCls ? 1 : 2;
  const graph = { inputs: 'prefix-cache' } as const;
  // Everything of the template that changes the prompt or the reading of logits.
  const templateKey = [
    template.prefix,
    template.body,
    template.suffix,
    template.labels.yes,
    template.labels.no,
  ];
  return {
    name,
    numLabels,
    graph,
    template,
    defaultInstruction,
    defaultMaxLength: DECODER_MAX_LENGTH,
    modelMaxLength({ config: c, tokenizerConfig }) {
      const positions =
        typeof c.max_position_embeddings === 'number' ? c.max_position_embeddings : DECODER_MAX_LENGTH;
      const declared = tokenizerConfig.model_max_length;
      return Math.min(positions, typeof declared === 'number' ? declared : positions);
    },
    encoder({ tokenizerJson, tokenizerConfig }, encoderOptions): KindEncoder {
      if (encoderOptions.truncation !== 'only_second') {
        throw new RerankerError(
          'INVALID_CONFIG',
          `truncation '${encoderOptions.truncation}' does not apply to LLM rerankers: their prompt keeps its fixed text and cuts the document's tail (then a query over maxQueryTokens). Use 'only_second'.`,
        );
      }
      return new PromptEncoder(tokenizerJson, tokenizerConfig, template, {
        maxLength: encoderOptions.maxLength,
        // A quarter of the prompt by default: room for long questions, and most of it for the document.
        maxQueryTokens: encoderOptions.maxQueryTokens ?? Math.floor(encoderOptions.maxLength / 4),
        keySalt: encoderOptions.fingerprint,
      }) as KindEncoder;
    },
    instruction: (requested) =>
      validateInstruction(requested, { kind: name, name: source }) ?? defaultInstruction,
    keyParts: (instruction) => [name, ...templateKey, instruction ?? defaultInstruction],
    score: scoreFromLogits,
    backendInfo(encoder) {
      const prompt = encoder as unknown as PromptEncoder;
      return {
        name,
        numLabels,
        graph,
        padTokenId: encoder.padTokenId,
        ...(seqCls ? {} : { labelTokenIds: { no: prompt.labelIds.no, yes: prompt.labelIds.yes } }),
      };
    },
  };
}
