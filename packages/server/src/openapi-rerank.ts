import type { Flavour } from './errors';
import { type ErrorStatus, errorResponses } from './openapi-errors';
import {
  arr,
  bool,
  choice,
  closed,
  fromZod,
  int,
  json,
  num,
  obj,
  ref,
  type Schema,
  str,
} from './openapi-parts';
import { cohereRequest } from './routes/cohere';
import { nativeRequest } from './routes/native';
import { teiRequest } from './routes/tei';

const has = (field: string): Schema => ({ type: 'object', properties: { [field]: true }, required: [field] });
const lacks = (field: string): Schema => ({ not: has(field) });
/** `flavourOf` (routes/rerank.ts) sends these to the Cohere handler: `top_n` or `model`, no `top_k`. */
const cohereLike: Schema = { allOf: [lacks('top_k'), { anyOf: [has('top_n'), has('model')] }] };

/** The request and response bodies of the rerank routes, as `components.schemas`. */
export const rerankSchemas: Record<string, Schema> = {
  NativeRerankRequest: {
    ...fromZod(nativeRequest),
    description:
      'The native API. `top_k` absent, null, <= 0 or over the number of documents means every document.',
  },
  TeiRerankRequest: {
    ...fromZod(teiRequest),
    description:
      'Hugging Face TEI. Over-long pairs are cut (as TEI with --auto-truncate) unless `truncate: false`, which refuses them with 413.',
  },
  CohereRerankRequest: {
    ...fromZod(cohereRequest),
    description:
      'Cohere v1/v2 and Jina. Object documents are ranked on `text`, or on their `rank_fields` as `field: value` lines.',
  },
  NativeRerankResponse: closed({
    results: arr(
      closed(
        {
          index: int,
          document: {
            description: 'The document as sent (unless return_documents: false).',
            anyOf: [str, obj({ text: str })],
          },
          score: { ...num, description: 'The raw logit.' },
          relevance_score: { ...num, description: 'The sigmoid of the logit, in [0, 1].' },
          tokens: {
            ...int,
            description:
              'With return_tokens: true. Tokens of the pair the model ran on: query and document as kept, plus special tokens.',
          },
          truncated: {
            ...bool,
            description:
              "With return_tokens: true. Whether the query or the document was cut to the model's window.",
          },
        },
        ['index', 'score', 'relevance_score'],
      ),
    ),
    processing_time_ms: num,
  }),
  TeiRerankResponse: arr(
    closed(
      {
        index: int,
        score: { ...num, description: 'Relevance in [0, 1]; the logit with raw_scores: true.' },
        text: { ...str, description: 'With return_text: true.' },
      },
      ['index', 'score'],
    ),
  ),
  CohereRerankResponse: closed(
    {
      id: str,
      model: { ...str, description: 'The model that ran.' },
      results: arr(
        closed(
          {
            index: int,
            relevance_score: { ...num, description: 'In [0, 1].' },
            document: {
              ...obj({ text: str }),
              description: 'The document (objects whole, with `text`), when documents are returned.',
            },
          },
          ['index', 'relevance_score'],
        ),
      ),
      meta: closed({
        api_version: closed({ version: choice('1', '2') }),
        billed_units: closed({ search_units: int }),
      }),
      usage: closed(
        {
          total_tokens: { ...int, description: 'Tokens the model computed (every pair, every chunk).' },
          prompt_tokens: { ...int, description: 'The same as total_tokens (Together-style usage).' },
          completion_tokens: { ...int, description: 'Always 0: a reranker generates nothing.' },
        },
        ['total_tokens', 'prompt_tokens', 'completion_tokens'],
      ),
    },
    ['id', 'model', 'results', 'meta', 'usage'],
  ),
};

const ALL: Flavour[] = ['native', 'tei', 'cohere'];

/** Errors of plain POST /rerank, per the flavour of the body (see errors.ts `toErrorResponse`). */
const RERANK_ERRORS: Record<string, ErrorStatus> = {
  '400': [
    ALL,
    'the body is not valid JSON (or not what its Content-Encoding says, or nested too deep); TEI: empty `texts`; Cohere shape: invalid input',
  ],
  '401': [ALL, 'missing or wrong API key (when API_KEYS is set)'],
  '404': [['cohere'], 'Cohere shape: an unknown `model` with STRICT_MODEL_NAMES=true'],
  '408': [ALL, 'the body did not arrive within REQUEST_TIMEOUT_MS'],
  '413': [
    ALL,
    'the body is over BODY_LIMIT; native and Cohere shapes: more documents than MAX_DOCUMENTS_PER_REQUEST; TEI: a pair longer than the model takes, with truncate: false',
  ],
  '415': [ALL, 'Content-Type is not JSON, or Content-Encoding is not gzip, deflate, br or identity'],
  '422': [
    ['native', 'tei'],
    'invalid input, naming the field; TEI: more texts than MAX_DOCUMENTS_PER_REQUEST',
  ],
  '424': [['tei'], 'TEI: the model failed on the batch'],
  '500': [ALL, 'native and Cohere shapes: the model failed on the batch; any: an unexpected error'],
  '503': [
    ALL,
    'overloaded (queue full or queue timeout, locally or for a GLOBAL_MAX_PARALLEL lease; RATE_LIMITED over GLOBAL_RATE_LIMIT_RPS), loading or shutting down',
  ],
  '504': [ALL, 'inference took longer than WORKER_TIMEOUT'],
};

/** The same for /v1 and /v2, which always speak Cohere (whose bad-input status is 400, never 422). */
const COHERE_ERRORS: Record<string, ErrorStatus> = Object.fromEntries(
  Object.entries(RERANK_ERRORS)
    .filter(([, [flavours]]) => flavours.includes('cohere'))
    .map(([status, [, description]]) => [status, [['cohere'], description.replace(/^Cohere shape: /, '')]]),
);

const body = (schema: Schema): Schema => ({ required: true, content: { 'application/json': { schema } } });

const cohereOperation = (version: '1' | '2'): Schema => ({
  post: {
    operationId: `rerankV${version}`,
    tags: ['rerank'],
    summary: `Cohere v${version}${version === '1' ? ' and Jina' : ''} rerank`,
    description:
      'Long documents are split into chunks (max_chunks_per_doc, default 10; max_tokens_per_doc, default 4096 on v2); a document scores as its best chunk. `model` may be any name unless STRICT_MODEL_NAMES=true (then unknown names get 404); the response names the model that ran.' +
      (version === '1'
        ? ' Documents are returned by default (as Jina does).'
        : ' Documents are returned only with return_documents: true.'),
    requestBody: body(ref('CohereRerankRequest')),
    responses: {
      '200': json(ref('CohereRerankResponse'), 'results best first'),
      ...errorResponses(COHERE_ERRORS),
    },
  },
});

/**
 * POST /rerank, /v1/rerank and /v2/rerank. The /rerank body is `oneOf` three branches that exclude
 * each other exactly as `flavourOf` tells the APIs apart, so a strict validator matches one branch.
 */
export const rerankPaths: Record<string, Schema> = {
  '/rerank': {
    post: {
      operationId: 'rerank',
      tags: ['rerank'],
      summary: 'Native, TEI or Cohere-shaped rerank, told apart by the body',
      description:
        'A body with `texts` is a TEI request (a bare array back, TEI error bodies); a body with `top_n` or `model` and no `top_k` is answered as POST /v1/rerank; any other body is the native API.',
      requestBody: body({
        oneOf: [
          { allOf: [ref('NativeRerankRequest')], not: { anyOf: [has('texts'), cohereLike] } },
          ref('TeiRerankRequest'),
          { allOf: [ref('CohereRerankRequest'), lacks('texts'), cohereLike] },
        ],
      }),
      responses: {
        '200': json(
          {
            oneOf: [ref('NativeRerankResponse'), ref('TeiRerankResponse'), ref('CohereRerankResponse')],
          },
          'native: results best first; TEI: a bare array best first; Cohere shape: as POST /v1/rerank',
        ),
        ...errorResponses(RERANK_ERRORS),
      },
    },
  },
  '/v1/rerank': cohereOperation('1'),
  '/v2/rerank': cohereOperation('2'),
};
