// Reads a BEIR-format folder: corpus.jsonl ({_id, title, text}), queries.jsonl ({_id, text}) and
// qrels/<split>.tsv (header `query-id corpus-id score`, tab-separated). Bad input is an error naming
// the file and line, never a silently smaller evaluation.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RerankerError } from '@reranker/core';
import type { Judgements } from './eval-metrics';

export interface Passage {
  _id: string;
  title: string;
  text: string;
}

export interface EvalQuery {
  _id: string;
  text: string;
  /** Its qrels: corpus id -> relevance. */
  judgements: Judgements;
}

export interface BeirDataset {
  corpus: Passage[];
  /** Queries of the split that have at least one judgement with relevance > 0, in qrels order. */
  queries: EvalQuery[];
  /** Queries of the split whose judgements are all 0: left out (no metric is defined for them). */
  skippedQueries: number;
  /** Judgements naming a passage absent from the corpus: they count as relevant and unretrievable. */
  unknownPassages: number;
}

const invalid = (message: string) => new RerankerError('INVALID_CONFIG', message);

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw invalid(`cannot read ${path}: ${(error as Error).message} (a BEIR folder needs it)`);
  }
}

/** One JSON object per non-empty line, each with the string fields `fields`. */
async function readJsonl<T>(path: string, fields: readonly string[], optional: readonly string[] = []) {
  const rows: T[] = [];
  const lines = (await readText(path)).split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw invalid(`${path}:${i + 1}: not a JSON object`);
    }
    for (const field of fields) {
      const value = row?.[field];
      if (typeof value === 'number' && field === '_id') row[field] = String(value);
      else if (typeof value !== 'string') {
        if (optional.includes(field) && value === undefined) row[field] = '';
        else throw invalid(`${path}:${i + 1}: "${field}" must be a string`);
      }
    }
    rows.push(row as T);
  });
  return rows;
}

function parseQrels(path: string, text: string): Map<string, Map<string, number>> {
  const qrels = new Map<string, Map<string, number>>();
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = line.split('\t').map((c) => c.trim());
    if (i === 0 && cells[0] === 'query-id') return;
    const [query, passage, score] = cells;
    const relevance = Number(score);
    if (cells.length !== 3 || !query || !passage || !Number.isInteger(relevance)) {
      throw invalid(`${path}:${i + 1}: expected "query-id<TAB>corpus-id<TAB>integer score"`);
    }
    const judgements = qrels.get(query) ?? new Map<string, number>();
    judgements.set(passage, relevance);
    qrels.set(query, judgements);
  });
  return qrels;
}

/** Loads `dir` for `split` (`qrels/<split>.tsv`), checking that every judged query exists. */
export async function loadBeir(dir: string, split: string): Promise<BeirDataset> {
  if (!/^[\w.-]+$/.test(split)) throw invalid(`--split must be a file name, got '${split}'`);
  const corpus = await readJsonl<Passage>(join(dir, 'corpus.jsonl'), ['_id', 'title', 'text'], ['title']);
  const queryRows = await readJsonl<{ _id: string; text: string }>(join(dir, 'queries.jsonl'), [
    '_id',
    'text',
  ]);
  const qrelsPath = join(dir, 'qrels', `${split}.tsv`);
  const qrels = parseQrels(qrelsPath, await readText(qrelsPath));
  const ids = new Set<string>();
  for (const passage of corpus) {
    if (ids.has(passage._id)) throw invalid(`corpus.jsonl: duplicate _id '${passage._id}'`);
    ids.add(passage._id);
  }
  const texts = new Map(queryRows.map((q) => [q._id, q.text]));
  const queries: EvalQuery[] = [];
  let skippedQueries = 0;
  let unknownPassages = 0;
  for (const [id, judgements] of qrels) {
    const text = texts.get(id);
    if (text === undefined) throw invalid(`${qrelsPath}: query '${id}' is not in queries.jsonl`);
    for (const passage of judgements.keys()) if (!ids.has(passage)) unknownPassages++;
    if ([...judgements.values()].some((g) => g > 0)) queries.push({ _id: id, text, judgements });
    else skippedQueries++;
  }
  if (queries.length === 0) throw invalid(`${qrelsPath}: no query has a judgement with score > 0`);
  return { corpus, queries, skippedQueries, unknownPassages };
}
