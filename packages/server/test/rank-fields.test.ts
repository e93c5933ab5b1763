import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS, post, QUERY, startServer, type TestServer } from './helpers';
import { maxGap, referenceRelevance } from './reference-scores';

// Only a document's own fields holding strings count as rank fields: an inherited name would rank on
// a made-up text such as "constructor: undefined", and a number or object is not text to rank.
let t: TestServer;
beforeAll(async () => {
  t = await startServer();
});
afterAll(() => t.close());

// Plain /rerank speaks Cohere when the body has `model` (or `top_n`) and no `top_k`.
const PATHS = ['/v1/rerank', '/v2/rerank', '/rerank'];

/** Raw JSON, so `__proto__` arrives as the document's own key, as JSON.parse makes it. */
const body = (document: string, rankFields: string[]) =>
  `{"model":"any","query":${JSON.stringify(QUERY)},"documents":[${document}],"rank_fields":${JSON.stringify(rankFields)}}`;

const MISSING: [string, string, string[]][] = [
  ['constructor', '{"text":"solar"}', ['constructor']],
  ['__proto__ (own key in the JSON)', '{"__proto__":"solar panels"}', ['__proto__']],
  ['toString', '{"text":"solar"}', ['toString']],
  ['hasOwnProperty', '{"text":"solar"}', ['hasOwnProperty']],
  ['a number', '{"n":5}', ['n']],
  ['a boolean', '{"b":true}', ['b']],
  ['null', '{"x":null}', ['x']],
  ['an object', '{"o":{"text":"solar"}}', ['o']],
  ['an array', '{"a":["solar"]}', ['a']],
];

describe('rank_fields: only own string fields count', () => {
  for (const path of PATHS) {
    it.each(MISSING)(
      `${path}: %s is a missing field -> 400 in Cohere's shape`,
      async (_name, doc, fields) => {
        const res = await post(`${t.url}${path}`, body(doc, fields));
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ code: 'INVALID_INPUT', field: 'documents[0]' });
        expect(res.body.message).toMatch(/none of the rank_fields/);
      },
    );

    it(`${path}: inherited names beside a real field are ignored, not ranked on`, async () => {
      const title = DOCS[0]!;
      const res = await post(
        `${t.url}${path}`,
        body(JSON.stringify({ title, n: 3 }), ['constructor', 'title', 'toString', 'n']),
      );
      expect(res.status).toBe(200);
      const [expected] = await referenceRelevance(QUERY, [`title: ${title}`]);
      const scores = res.body.results.map((r: { index: number; relevance_score: number }) => ({
        index: r.index,
        relevanceScore: r.relevance_score,
      }));
      expect(maxGap(scores, [expected!])).toBeLessThan(1e-6);
    });
  }
});
