import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PromptEncoder, QWEN3_RERANKER_TEMPLATE, RerankerError } from '@reranker/core';
import { seededRandom } from '@reranker/testkit';
import { makePassage, WORDS } from './text';

/** One request of the `llm` workload. */
export interface LlmRequest {
  query: string;
  documents: string[];
}

export interface LlmWorkloadOptions {
  /** Requests to draw; each has its own query, so the engine computes every prefix once (no LRU hit across requests). */
  requests: number;
  /** Documents per request. @default 20 */
  docs: number;
  /** Exact tokens of every query, as the prompt's body tokenizes it. @default 30 */
  queryTokens: number;
  /** Shortest and longest document in tokens, drawn uniformly. @default [64, 256] */
  docTokens: readonly [number, number];
  /** @default 1 */
  seed: number;
}

/** Token counts of the workload, measured with the model's own prompt encoder. */
export interface LlmWorkloadStats {
  queryTokens: number;
  docTokens: { min: number; mean: number; max: number };
  /** The shared prefix of a request (system turn, instruction, query), mean over requests. */
  prefixTokens: number;
  /** One document's row as the engine runs it (document + suffix), mean. */
  rowTokens: number;
  /** The whole prompt of one document (prefix + row), mean: what the naive forward runs per document. */
  promptTokens: number;
}

export interface LlmWorkload {
  requests: LlmRequest[];
  stats: LlmWorkloadStats;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * Seeded requests for a Qwen3-Reranker-layout folder: every query exactly `queryTokens` tokens and
 * documents of `docTokens` tokens, counted with core's `PromptEncoder` (the engine's own tokenization
 * of the model card's prompt), so both variants of `llm` run the same prompts whatever the vocabulary.
 */
export async function buildLlmWorkload(modelDir: string, o: LlmWorkloadOptions): Promise<LlmWorkload> {
  const json = async (name: string) => JSON.parse(await readFile(join(modelDir, name), 'utf8'));
  const encoder = new PromptEncoder(
    await json('tokenizer.json'),
    await json('tokenizer_config.json'),
    QWEN3_RERANKER_TEMPLATE,
    { maxLength: 8192, maxQueryTokens: 2048, keySalt: 'bench' },
  );
  const lead = encoder.boundary.lead;
  const docLength = (doc: string) => encoder.tokenize(lead + doc).length;
  // Words that stay one token after a space: a text grows by exactly one token per such word.
  const single = WORDS.filter((w) => encoder.tokenize(` ${w}`).length === 1);
  if (single.length < 20) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `Only ${single.length} of the workload's words are single tokens of ${modelDir}; the llm workload needs 20.`,
    );
  }
  const random = seededRandom(o.seed);
  const pick = () => single[Math.floor(random() * single.length)]!;
  const [low, high] = o.docTokens;
  const docLengths: number[] = [];
  const prefixes: number[] = [];
  const rows: number[] = [];
  const requests: LlmRequest[] = [];
  for (let r = 0; r < o.requests; r++) {
    const words: string[] = [];
    const queryOf = () => `${words.join(' ')}?`;
    const queryLength = async () => (await encoder.prepareQuery(queryOf())).ids.length;
    while ((await queryLength()) < o.queryTokens) words.push(pick());
    while ((await queryLength()) > o.queryTokens && words.length > 1) words.pop();
    const query = queryOf();
    const prepared = await encoder.prepareQuery(query);
    if (prepared.ids.length !== o.queryTokens) {
      throw new RerankerError(
        'INVALID_CONFIG',
        `Could not make a ${o.queryTokens}-token query (got ${prepared.ids.length}).`,
      );
    }
    const documents = Array.from({ length: o.docs }, () => {
      const target = low + Math.floor(random() * (high - low + 1));
      let text = makePassage(random, target).split(' ');
      let length = docLength(text.join(' '));
      // Cut the passage down to the target (words may be several tokens), then top it up with one-token words.
      while (length > target && text.length > 1) {
        const cut = Math.max(1, Math.floor(((length - target) * text.length) / (2 * length)));
        text = text.slice(0, text.length - cut);
        length = docLength(text.join(' '));
      }
      while (length < low) {
        text.push(pick());
        length = docLength(text.join(' '));
      }
      docLengths.push(length);
      const doc = text.join(' ');
      rows.push(encoder.encodePair(prepared, doc).inputIds.length);
      return doc;
    });
    prefixes.push(prepared.prefix.inputIds.length);
    requests.push({ query, documents });
  }
  const prefixTokens = mean(prefixes);
  const rowTokens = mean(rows);
  return {
    requests,
    stats: {
      queryTokens: o.queryTokens,
      docTokens: { min: Math.min(...docLengths), mean: mean(docLengths), max: Math.max(...docLengths) },
      prefixTokens,
      rowTokens,
      promptTokens: prefixTokens + rowTokens,
    },
  };
}
