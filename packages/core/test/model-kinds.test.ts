import { describe, expect, it } from 'vitest';
import {
  buildBatch,
  checkClassifierGraph,
  detectModelKind,
  type EncodedBatch,
  joinPrefixRows,
  QWEN3_RERANKER_TEMPLATE,
  type RerankerError,
} from '../src/index';

const source = 'test/model';
const config = (architectures: string[], extra: Record<string, unknown> = {}) => ({
  model_type: architectures[0]?.startsWith('Qwen2') ? 'qwen2' : 'qwen3',
  architectures,
  ...extra,
});

describe('detectModelKind reads config.json, never the name', () => {
  it('Qwen3 causal LM: yes/no with the Qwen3-Reranker template; seq-cls with one label', () => {
    const yesNo = detectModelKind(config(['Qwen3ForCausalLM']), { source });
    expect(yesNo).toMatchObject({ name: 'decoder-yes-no', numLabels: 2, defaultMaxLength: 8192 });
    expect(yesNo.template).toBe(QWEN3_RERANKER_TEMPLATE);
    const cls = detectModelKind(config(['Qwen3ForSequenceClassification'], { num_labels: 1 }), { source });
    expect(cls).toMatchObject({ name: 'decoder-seq-cls', numLabels: 1, graph: { inputs: 'prefix-cache' } });
    const bert = detectModelKind(
      { model_type: 'bert', architectures: ['BertForSequenceClassification'] },
      { source },
    );
    expect(bert).toMatchObject({ name: 'cross-encoder', numLabels: 1, graph: { inputs: 'pair' } });
  });

  it('Qwen2 needs its template; other causal LMs and multi-label seq-cls are refused', () => {
    const code = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return (error as RerankerError).code;
      }
      return 'none';
    };
    expect(code(() => detectModelKind(config(['Qwen2ForCausalLM']), { source }))).toBe('INVALID_CONFIG');
    const custom = { ...QWEN3_RERANKER_TEMPLATE, name: 'custom' };
    expect(detectModelKind(config(['Qwen2ForCausalLM']), { source, template: custom }).template?.name).toBe(
      'custom',
    );
    expect(
      code(() => detectModelKind({ model_type: 'llama', architectures: ['LlamaForCausalLM'] }, { source })),
    ).toBe('MODEL_LOAD_FAILED');
    const twoLabels = config(['Qwen3ForSequenceClassification'], { num_labels: 2 });
    expect(code(() => detectModelKind(twoLabels, { source }))).toBe('MODEL_LOAD_FAILED');
  });

  it('keyParts: empty for cross-encoders (keys unchanged), template and instruction for decoders', () => {
    const bert = detectModelKind({ model_type: 'bert' }, { source });
    expect(bert.keyParts(undefined)).toEqual([]);
    const kind = detectModelKind(config(['Qwen3ForCausalLM']), { source });
    expect(kind.keyParts(undefined)).toEqual(kind.keyParts(QWEN3_RERANKER_TEMPLATE.defaultInstruction));
    expect(kind.keyParts('a')).not.toEqual(kind.keyParts('b'));
    const other = detectModelKind(config(['Qwen3ForCausalLM']), {
      source,
      template: { ...QWEN3_RERANKER_TEMPLATE, suffix: '<|im_end|>\n' },
    });
    expect(other.keyParts('a')).not.toEqual(kind.keyParts('a'));
    expect(kind.score([0.5, 2]).score).toBe(1.5); // [no, yes]
  });
});

describe('checkClassifierGraph for decoder kinds', () => {
  const past = (layers: number, prefix = 'past_key_values') =>
    Array.from({ length: layers }, (_, i) => [`${prefix}.${i}.key`, `${prefix}.${i}.value`]).flat();
  const decoder = { inputs: 'prefix-cache' } as const;

  it('accepts input_ids, attention_mask and past_key_values inputs with logits and present outputs', () => {
    const graph = {
      inputNames: ['input_ids', 'attention_mask', ...past(2)],
      outputNames: ['logits', ...past(2, 'present')],
      logitsLabels: 2,
    };
    expect(() => checkClassifierGraph(graph, 2, 'model.onnx', decoder)).not.toThrow();
    // The same graph is no cross-encoder export.
    expect(() => checkClassifierGraph(graph, 2, 'model.onnx')).toThrow(/cannot feed \(past_key_values/);
  });

  it('refuses a graph without past inputs, with half a layer, extra inputs or the wrong label count', () => {
    const bad = (inputNames: string[], outputNames: string[], labels: number, pattern: RegExp) =>
      expect(() =>
        checkClassifierGraph({ inputNames, outputNames, logitsLabels: labels }, 2, 'm.onnx', decoder),
      ).toThrow(pattern);
    bad(['input_ids', 'attention_mask'], ['logits'], 2, /no past_key_values/);
    bad(['input_ids', 'attention_mask', 'past_key_values.0.key'], ['logits'], 2, /layer 0 lacks/);
    bad(
      ['input_ids', 'attention_mask', 'position_ids', ...past(1)],
      ['logits'],
      2,
      /cannot feed \(position_ids\)/,
    );
    bad(['input_ids', 'attention_mask', ...past(2)], ['logits', ...past(1, 'present')], 2, /present/);
    bad(
      ['input_ids', 'attention_mask', ...past(1)],
      ['logits'],
      151669,
      /151669 labels where the model kind reads 2/,
    );
  });
});

describe('prefix batches', () => {
  const prefix = { key: 'prefix:a', inputIds: BigInt64Array.from([7n, 8n, 9n]) };

  it('buildBatch carries the shared prefix once and refuses to mix prefixes', () => {
    const pairs = [
      { inputIds: [1, 2], tokenTypeIds: [0, 0], prefix },
      { inputIds: [3], tokenTypeIds: [0], prefix },
    ];
    const batch = buildBatch(pairs, { indices: [0, 1], width: 2 }, 0);
    expect(batch.prefix).toBe(prefix);
    expect(Array.from(batch.attentionMask)).toEqual([1n, 1n, 1n, 0n]);
    const other = { ...pairs[1]!, prefix: { ...prefix, key: 'prefix:b' } };
    expect(() => buildBatch([pairs[0]!, other], { indices: [0, 1], width: 2 }, 0)).toThrow(
      /different prefixes/,
    );
    expect(
      buildBatch([{ inputIds: [1], tokenTypeIds: [0] }], { indices: [0], width: 1 }, 0),
    ).not.toHaveProperty('prefix');
  });

  it('joinPrefixRows writes prefix + each row, right-padded, with the last real position', () => {
    const batch: EncodedBatch = {
      ...buildBatch(
        [
          { inputIds: [1, 2], tokenTypeIds: [0, 0], prefix },
          { inputIds: [3], tokenTypeIds: [0], prefix },
        ],
        { indices: [0, 1], width: 2 },
        5,
      ),
    };
    const joined = joinPrefixRows(batch, 0);
    expect(joined.width).toBe(5);
    expect(Array.from(joined.inputIds, Number)).toEqual([7, 8, 9, 1, 2, 7, 8, 9, 3, 0]);
    expect(Array.from(joined.attentionMask, Number)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect(Array.from(joined.positionIds.subarray(0, 5), Number)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(joined.lastIndex)).toEqual([4, 3]);
  });
});
