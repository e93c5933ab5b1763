import { BATCH_INPUTS } from './backend';
import { RerankerError } from './errors';

/** What an ONNX session declares, as far as the check needs it. */
export interface GraphSignature {
  inputNames: readonly string[];
  outputNames: readonly string[];
  /** The `logits` output's last dimension, when the graph states it. */
  logitsLabels?: number | null;
}

/** The inputs a backend feeds from an `EncodedBatch`. */
const FEEDABLE = new Set(Object.keys(BATCH_INPUTS));

/**
 * Throws MODEL_LOAD_FAILED unless the graph takes what backends feed and gives one logit per label:
 * a wrong export fails at load with its reasons, not later with made-up shapes.
 */
export function checkClassifierGraph(graph: GraphSignature, numLabels: number, file: string): void {
  const problems: string[] = [];
  for (const name of ['input_ids', 'attention_mask']) {
    if (!graph.inputNames.includes(name)) problems.push(`it has no ${name} input`);
  }
  const unknown = graph.inputNames.filter((name) => !FEEDABLE.has(name));
  if (unknown.length > 0) problems.push(`it declares inputs the backend cannot feed (${unknown.join(', ')})`);
  if (!graph.outputNames.includes('logits')) problems.push('it has no logits output');
  const labels = graph.logitsLabels;
  if (typeof labels === 'number' && labels !== numLabels) {
    problems.push(`its logits have ${labels} labels where config.json has ${numLabels}`);
  }
  if (problems.length > 0) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `${file} is not a sequence-classification export the backend can run: ${problems.join('; ')}.`,
    );
  }
}
