import { RerankerError } from '../errors';
import { checkClassifierGraph } from '../graph-check';
import type { ModelConfig } from '../model';
import type { BackendKindInfo } from './kind';

/** What a session declares, as far as choosing a decoder layout needs it. */
export interface DecoderGraphSignature {
  inputNames: readonly string[];
  outputNames: readonly string[];
  /** Declared shapes by name (`null` for a symbolic dimension), where the runtime gives them. */
  shapes?: Readonly<Record<string, readonly (number | null)[]>>;
}

/**
 * How a decoder graph is run. `prefix`: the reranking graph of @reranker/onnx-builder (the prefix's
 * key/values computed once, `[B, labels]` logits). `causal-lm`: an onnx-community export (whole prompt
 * per row, `position_ids`, an empty past, full-vocabulary `[B, S, V]` logits).
 */
export interface DecoderLayout {
  type: 'prefix' | 'causal-lm';
  /** Decoder layers (pairs of `past_key_values.{i}.key/value`). */
  layers: number;
  /** `[kv_heads, head_dim]` of a past tensor. */
  kvHeads: number;
  headDim: number;
}

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

/** `[kv_heads, head_dim]` from the past's declared shape, else from config.json. */
function pastDims(
  graph: DecoderGraphSignature,
  config: ModelConfig,
): { kvHeads: number; headDim: number } | undefined {
  const declared = graph.shapes?.['past_key_values.0.key'];
  const fromGraph = (i: number) => (typeof declared?.[i] === 'number' ? (declared[i] as number) : undefined);
  const num = (key: string) => (typeof config[key] === 'number' ? (config[key] as number) : undefined);
  const heads = num('num_attention_heads');
  const hidden = num('hidden_size');
  const kvHeads = fromGraph(1) ?? num('num_key_value_heads') ?? heads;
  const headDim =
    fromGraph(3) ?? num('head_dim') ?? (heads && hidden ? Math.floor(hidden / heads) : undefined);
  return kvHeads && headDim ? { kvHeads, headDim } : undefined;
}

function countLayers(inputNames: readonly string[]): number {
  return new Set(inputNames.map((n) => PAST.exec(n)?.[1]).filter((l) => l !== undefined)).size;
}

/**
 * The layout to run a decoder graph with, from its inputs and outputs: throws MODEL_LOAD_FAILED naming
 * why when it fits neither (so a wrong export fails at load, never with made-up scores).
 */
export function decoderGraphLayout(
  graph: DecoderGraphSignature,
  kind: BackendKindInfo,
  config: ModelConfig,
  file: string,
): DecoderLayout {
  const layers = countLayers(graph.inputNames);
  const dims = pastDims(graph, config);
  const fail = (why: string): never => {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `${file} cannot serve the ${kind.name} reranker: ${why}. Expected the prefix graph @reranker/onnx-builder builds from the safetensors (input_ids, attention_mask, past_key_values.* -> logits [batch, ${kind.numLabels}]) or an onnx-community causal-LM export (input_ids, attention_mask, position_ids, past_key_values.* -> logits [batch, seq, vocab]).`,
    );
  };
  if (!graph.inputNames.includes('position_ids')) {
    // The prefix graph: its own check names what is missing (past inputs, presents, labels).
    const logits = graph.shapes?.logits;
    if (logits && logits.length !== 2) fail(`its logits have rank ${logits.length}, not [batch, labels]`);
    checkClassifierGraph({ ...graph, logitsLabels: logits?.at(-1) ?? undefined }, kind.numLabels, file, {
      inputs: 'prefix-cache',
    });
    if (!dims)
      fail('neither its past_key_values shape nor config.json gives the key/value heads and head_dim');
    return { type: 'prefix', layers, ...dims! };
  }
  const allowed = (n: string) => ['input_ids', 'attention_mask', 'position_ids'].includes(n) || PAST.test(n);
  const unknown = graph.inputNames.filter((n) => !allowed(n));
  if (unknown.length > 0) fail(`it declares inputs the backend cannot feed (${unknown.join(', ')})`);
  for (const name of ['input_ids', 'attention_mask'])
    if (!graph.inputNames.includes(name)) fail(`it has no ${name} input`);
  if (layers === 0) fail('it has position_ids but no past_key_values.{i}.key/value inputs');
  if (!graph.outputNames.includes('logits')) fail('it has no logits output');
  if (!kind.labelTokenIds)
    fail('a causal-LM export gives vocabulary logits, which score only a yes/no reranker (not seq-cls)');
  const logits = graph.shapes?.logits;
  if (logits && logits.length !== 3) fail(`its logits have rank ${logits.length}, not [batch, seq, vocab]`);
  const vocab = logits?.[2];
  const { no, yes } = kind.labelTokenIds!;
  if (typeof vocab === 'number' && Math.max(no, yes) >= vocab)
    fail(`its ${vocab} vocabulary logits do not reach the label tokens (ids ${no}, ${yes})`);
  if (!dims) fail('neither its past_key_values shape nor config.json gives the key/value heads and head_dim');
  return { type: 'causal-lm', layers, ...dims! };
}
