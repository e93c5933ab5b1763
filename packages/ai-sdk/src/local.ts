import type { RerankingModelV4, RerankingModelV4CallOptions, RerankingModelV4Result } from '@ai-sdk/provider';
import {
  type DetailedRerank,
  lazyDisposable,
  type RerankOptions,
  type UnifiedReRanker,
} from '@reranker/core';
import type { CreateRerankerOptions } from '@reranker/node';
import { toSdkError } from './local-errors';
import { documentTexts, PROVIDER, providerOptionsOf, warningsFor } from './options';

/** What the model needs of a `UnifiedReRanker`: its `rerankDetailed`. */
export type LocalEngine = Pick<UnifiedReRanker, 'rerankDetailed'>;

/** A reranking model for `rerank()` that scores in this process; dispose it when it built its engine. */
export interface LocalRerankingModel extends RerankingModelV4 {
  /** Frees the engine this model created (worker threads, sessions); a given engine stays the caller's. */
  dispose(): Promise<void>;
}

/**
 * A reranking model for the AI SDK's `rerank()` that runs a cross-encoder in this process.
 *
 * Give it `createReranker` options (`@reranker/node`: a hub id or folder in `model`, `dtype`,
 * `batchSize`, …; the environment variables apply too), and it creates the engine on the first call
 * and frees it on `dispose()`; or give it a `UnifiedReRanker` you own. `@reranker/node` (and with it
 * onnxruntime) loads only when the model first builds an engine.
 *
 * @example
 * const model = localReranker({ model: 'Xenova/ms-marco-MiniLM-L-6-v2' });
 * const { ranking } = await rerank({ model, query: 'what is a reranker?', documents, topN: 3 });
 * await model.dispose();
 */
export function localReranker(options: CreateRerankerOptions | LocalEngine = {}): LocalRerankingModel {
  const given = isEngine(options) ? options : undefined;
  // @reranker/node (and onnxruntime) loads only when the model first builds an engine.
  const created = given
    ? undefined
    : lazyDisposable(() =>
        import('@reranker/node').then(({ createReranker }) =>
          createReranker(options as CreateRerankerOptions),
        ),
      );
  const load = (): Promise<LocalEngine> => (given ? Promise.resolve(given) : created!.get());
  const modelId = given ? 'local' : ((options as CreateRerankerOptions).model ?? 'default');
  const dispose = async () => {
    await created?.dispose();
  };

  return {
    specificationVersion: 'v4',
    provider: `${PROVIDER}.local`,
    modelId,
    async doRerank(call: RerankingModelV4CallOptions): Promise<RerankingModelV4Result> {
      const options = await providerOptionsOf(call);
      const texts = documentTexts(call.documents, options.rankFields);
      const request: RerankOptions = { signal: call.abortSignal, topK: call.topN };
      let detailed: DetailedRerank<string>;
      try {
        detailed = await (await load()).rerankDetailed(call.query, texts, request);
      } catch (error) {
        throw toSdkError(error, modelId, call.abortSignal, { query: call.query, topN: call.topN });
      }
      const { results, usage, timings } = detailed;
      return {
        ranking: results.map(({ index, relevanceScore }) => ({ index, relevanceScore })),
        warnings: warningsFor(options, true),
        providerMetadata: { [PROVIDER]: { usage: { ...usage }, timings: { ...timings } } },
        response: { modelId, timestamp: new Date() },
      };
    },
    dispose,
  };
}

function isEngine(value: CreateRerankerOptions | LocalEngine): value is LocalEngine {
  return typeof (value as Partial<LocalEngine>).rerankDetailed === 'function';
}
