// `reranker-bench load --models a,b=3,c`: which model each request names, and the figures per model.
import { RerankerError } from '@reranker/core';
import { type Outcome, type Summary, summarize } from './rerank-requests';

/** A model of the mix and its share of the requests (relative to the other weights). */
export interface ModelWeight {
  name: string;
  weight: number;
}

/** What the requests naming one model did. */
export interface ModelLoad {
  model: string;
  weight: number;
  summary: Summary;
}

/**
 * Parses `a,b,c` (round-robin) or `a=3,b=1` (weighted): names as the server serves them, weights
 * positive integers (default 1). A name given twice is an error, not a silently doubled weight.
 */
export function parseModelMix(value: string): ModelWeight[] {
  const models: ModelWeight[] = [];
  for (const part of value.split(',')) {
    const item = part.trim();
    const at = item.lastIndexOf('=');
    const name = (at === -1 ? item : item.slice(0, at)).trim();
    const weightText = at === -1 ? '1' : item.slice(at + 1).trim();
    const weight = Number(weightText);
    if (!name) throw mixError(value, 'a model name is empty');
    if (!/^\d+$/.test(weightText) || weight < 1) {
      throw mixError(value, `the weight of "${name}" must be a positive integer, got "${weightText}"`);
    }
    if (models.some((m) => m.name === name)) throw mixError(value, `"${name}" is given twice`);
    models.push({ name, weight });
  }
  return models;
}

function mixError(value: string, why: string): RerankerError {
  return new RerankerError(
    'INVALID_CONFIG',
    `--models "${value}": ${why}. Use names (a,b,c) or names with weights (a=3,b=1,c=1).`,
  );
}

/**
 * One period of the mix: each model as often as its weight, spread out by smooth weighted
 * round-robin (at every step the model furthest behind its share goes next), so a heavy model never
 * runs in long streaks. Request `i` names `schedule[i % schedule.length]`; equal weights give plain
 * round-robin. Deterministic, so two runs send the same sequence.
 */
export function mixSchedule(models: readonly ModelWeight[]): string[] {
  const total = models.reduce((sum, m) => sum + m.weight, 0);
  const current = models.map(() => 0);
  const schedule: string[] = [];
  for (let step = 0; step < total; step++) {
    let best = 0;
    for (const [i, model] of models.entries()) {
      current[i]! += model.weight;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    schedule.push(models[best]!.name);
  }
  return schedule;
}

/** The outcomes grouped by the model their request named, in the order of the mix. */
export function perModel(
  models: readonly ModelWeight[],
  outcomes: ReadonlyArray<Outcome & { model?: string }>,
): ModelLoad[] {
  return models.map(({ name, weight }) => ({
    model: name,
    weight,
    summary: summarize(outcomes.filter((o) => o.model === name)),
  }));
}
