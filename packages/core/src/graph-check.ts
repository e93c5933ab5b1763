import { BATCH_INPUTS } from './backend';
import { RerankerError } from './errors';
import type { GraphContract } from './kinds/kind';

/** What an ONNX session declares, as far as the check needs it. */
export interface GraphSignature {
  inputNames: readonly string[];
  outputNames: readonly string[];
  /** The `logits` output's last dimension, when the graph states it. */
  logitsLabels?: number | null;
}

/** The inputs a backend feeds from an `EncodedBatch`. */
const FEEDABLE = new Set(Object.keys(BATCH_INPUTS));
const PAST = /^past_key_values\.(\d+)\.(key|value)$/;
const PRESENT = /^present\.(\d+)\.(key|value)$/;

/** The layers named by `pattern` (each must have a key and a value), or a problem. */
function layersOf(names: readonly string[], pattern: RegExp): { layers: number; problem?: string } {
  const seen = new Map<number, Set<string>>();
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const layer = Number(match[1]);
    seen.set(layer, (seen.get(layer) ?? new Set()).add(match[2]!));
  }
  for (let layer = 0; layer < seen.size; layer++) {
    if (seen.get(layer)?.size !== 2)
      return { layers: seen.size, problem: `layer ${layer} lacks a key or value` };
  }
  return { layers: seen.size };
}

function prefixCacheProblems(graph: GraphSignature): string[] {
  const problems: string[] = [];
  const unknown = graph.inputNames.filter(
    (name) => name !== 'input_ids' && name !== 'attention_mask' && !PAST.test(name),
  );
  if (unknown.length > 0) problems.push(`it declares inputs the backend cannot feed (${unknown.join(', ')})`);
  const past = layersOf(graph.inputNames, PAST);
  if (past.layers === 0)
    problems.push('it has no past_key_values.{i}.key/value inputs for the shared prefix');
  if (past.problem) problems.push(`its past_key_values inputs are incomplete (${past.problem})`);
  const present = layersOf(graph.outputNames, PRESENT);
  if (present.layers > 0 && (present.layers !== past.layers || present.problem)) {
    problems.push(`its present.* outputs do not match its ${past.layers} past_key_values layers`);
  }
  return problems;
}

/**
 * Throws MODEL_LOAD_FAILED unless the graph takes what backends feed for the model's kind (`pair`
 * by default: a cross-encoder; `prefix-cache` for decoder kinds, see `GraphContract`) and gives one
 * logit per label: a wrong export fails at load with its reasons, not later with made-up shapes.
 */
export function checkClassifierGraph(
  graph: GraphSignature,
  numLabels: number,
  file: string,
  contract: GraphContract = { inputs: 'pair' },
): void {
  const problems: string[] = [];
  for (const name of ['input_ids', 'attention_mask']) {
    if (!graph.inputNames.includes(name)) problems.push(`it has no ${name} input`);
  }
  if (contract.inputs === 'prefix-cache') problems.push(...prefixCacheProblems(graph));
  else {
    const unknown = graph.inputNames.filter((name) => !FEEDABLE.has(name));
    if (unknown.length > 0)
      problems.push(`it declares inputs the backend cannot feed (${unknown.join(', ')})`);
  }
  if (!graph.outputNames.includes('logits')) problems.push('it has no logits output');
  const labels = graph.logitsLabels;
  if (typeof labels === 'number' && labels !== numLabels) {
    problems.push(
      `its logits have ${labels} labels where ${contract.inputs === 'pair' ? 'config.json has' : 'the model kind reads'} ${numLabels}`,
    );
  }
  if (problems.length > 0) {
    const what =
      contract.inputs === 'prefix-cache'
        ? 'a decoder reranker graph with a prefix key/value cache'
        : 'a sequence-classification export';
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `${file} is not ${what} the backend can run: ${problems.join('; ')}.`,
    );
  }
}
