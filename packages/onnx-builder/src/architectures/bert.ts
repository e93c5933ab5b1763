import { FLOAT, GraphBuilder, INT64, transpose2d } from '../graph-builder';
import type { NamedTensor } from '../tensor';

/** The shape of a BERT or XLM-RoBERTa sequence classifier. */
export interface BertDims {
  architecture: 'bert' | 'xlm-roberta';
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numLabels: number;
  layerNormEps: number;
  padTokenId: number;
}

function validateDims(dims: BertDims): void {
  if (dims.hiddenSize % dims.numHeads !== 0)
    throw new Error(`hiddenSize (${dims.hiddenSize}) must be divisible by numHeads (${dims.numHeads})`);
}

/** `bert.` or `roberta.` (as XLMRobertaForSequenceClassification names its encoder). */
function encoderPrefix(dims: BertDims): string {
  return dims.architecture === 'bert' ? 'bert' : 'roberta';
}

/** HF's extended attention mask fills masked keys with torch.finfo(float32).min. */
const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * The ONNX graph of BertForSequenceClassification / XLMRobertaForSequenceClassification (eval mode),
 * laid out as `torch.onnx.export` lays these models out, so onnxruntime's fusions see the usual
 * patterns. Returns the serialized ModelProto (opset 17, IR 8). Linear weights are stored once,
 * transposed to [in, out] under `<HF name>.T`; every other parameter keeps its HF name.
 */
export function buildOnnxModel(dims: BertDims, tensors: NamedTensor[]): Uint8Array {
  validateDims(dims);
  const g = new GraphBuilder();
  const params = new Params(g, tensors);
  const h = dims.hiddenSize;
  const headDim = h / dims.numHeads;
  const enc = encoderPrefix(dims);
  const isBert = dims.architecture === 'bert';

  const seqDims = ['batch_size', 'sequence_length'];
  const inputIds = g.input('input_ids', INT64, seqDims);
  const attentionMask = g.input('attention_mask', INT64, seqDims);
  // Real XLM-R exports (bge-reranker) take no token_type_ids: every token is type 0.
  const tokenTypeIds = isBert ? g.input('token_type_ids', INT64, seqDims) : undefined;

  const inputShape = g.op('Shape', [inputIds], [], 'input_shape'); // [B, S]
  // Target shapes for splitting hidden states into heads and merging them back.
  const headsShape = g.op(
    'Concat',
    [inputShape, g.constInt64([dims.numHeads, headDim])],
    [{ name: 'axis', int: 0 }],
  );
  const hiddenShape = g.op('Concat', [inputShape, g.constInt64([h])], [{ name: 'axis', int: 0 }]);

  // Embeddings, summed in HF's order: (word + token type) + position.
  const emb = `${enc}.embeddings`;
  const words = g.op('Gather', [params.get(`${emb}.word_embeddings.weight`), inputIds]);
  const tokenTypeTable = params.get(`${emb}.token_type_embeddings.weight`);
  const tokenTypes = tokenTypeIds
    ? g.op('Gather', [tokenTypeTable, tokenTypeIds])
    : g.op('Gather', [tokenTypeTable, g.constInt64([0], [])]); // row 0, [H], broadcast over [B, S]
  const positionIds = isBert ? bertPositionIds(g, inputShape) : xlmrPositionIds(g, inputIds, dims.padTokenId);
  const positions = g.op('Gather', [params.get(`${emb}.position_embeddings.weight`), positionIds]);
  const summed = g.op('Add', [g.op('Add', [words, tokenTypes]), positions]);
  let x = layerNorm(g, params, summed, `${emb}.LayerNorm`, dims.layerNormEps);

  // (1 - mask) * float32 min as [B, 1, 1, S]. Kept finite: 0 * min is 0, and adding min to a finite
  // score stays finite, so softmax (which subtracts the row max) gives masked keys exactly 0.
  const mask4d = g.op('Unsqueeze', [attentionMask, g.constInt64([1, 2])]);
  const maskFloat = g.op('Cast', [mask4d], [{ name: 'to', int: FLOAT }]);
  const inverted = g.op('Sub', [g.constFloat([1]), maskFloat]);
  const additiveMask = g.op('Mul', [inverted, g.constFloat([FLOAT32_MIN])], [], 'extended_attention_mask');

  for (let i = 0; i < dims.numLayers; i++) {
    const layer = `${enc}.encoder.layer.${i}`;
    const heads = (name: string, perm: number[]) =>
      g.op(
        'Transpose',
        [g.op('Reshape', [linear(g, params, x, name), headsShape])],
        [{ name: 'perm', ints: perm }],
      );
    const q = heads(`${layer}.attention.self.query`, [0, 2, 1, 3]); // [B, nh, S, dh]
    const kT = heads(`${layer}.attention.self.key`, [0, 2, 3, 1]); // [B, nh, dh, S]
    const v = heads(`${layer}.attention.self.value`, [0, 2, 1, 3]); // [B, nh, S, dh]
    const scores = g.op('Div', [g.op('MatMul', [q, kT]), g.constFloat([Math.sqrt(headDim)])]);
    const probs = g.op('Softmax', [g.op('Add', [scores, additiveMask])], [{ name: 'axis', int: -1 }]);
    const context = g.op('MatMul', [probs, v]);
    const merged = g.op('Transpose', [context], [{ name: 'perm', ints: [0, 2, 1, 3] }]);
    const contextFlat = g.op('Reshape', [merged, hiddenShape]); // [B, S, H]
    const attnOut = linear(g, params, contextFlat, `${layer}.attention.output.dense`);
    x = layerNorm(
      g,
      params,
      g.op('Add', [attnOut, x]),
      `${layer}.attention.output.LayerNorm`,
      dims.layerNormEps,
    );

    const inter = gelu(g, linear(g, params, x, `${layer}.intermediate.dense`));
    const out = linear(g, params, inter, `${layer}.output.dense`);
    x = layerNorm(g, params, g.op('Add', [out, x]), `${layer}.output.LayerNorm`, dims.layerNormEps);
  }

  // Both heads read the first token ([CLS] / <s>) only.
  const first = g.op('Gather', [x, g.constInt64([0], [])], [{ name: 'axis', int: 1 }]); // [B, H]
  const [dense, proj] = isBert
    ? ['bert.pooler.dense', 'classifier']
    : ['classifier.dense', 'classifier.out_proj'];
  const pooled = g.op('Tanh', [linear(g, params, first, dense)]);
  const logits = linear(g, params, pooled, proj);
  g.output(logits, 'logits', FLOAT, ['batch_size', dims.numLabels]);

  params.assertAllUsed();
  return g.toModelBytes({
    graphName: 'main_graph',
    producerName: '@reranker/testkit',
    irVersion: 8,
    opset: 17,
  });
}

/** BERT: positions 0..S-1, shared by every row ([S], broadcast over the batch). */
function bertPositionIds(g: GraphBuilder, inputShape: string): string {
  const seqLen = g.op('Gather', [inputShape, g.constInt64([1], [])], [{ name: 'axis', int: 0 }]);
  return g.op('Range', [g.constInt64([0], []), seqLen, g.constInt64([1], [])], [], 'position_ids');
}

/**
 * XLM-R's create_position_ids_from_input_ids: cumsum(mask) * mask + pad, mask = input_ids != pad.
 * Real tokens count from pad + 1 and pad tokens sit at pad, so padding never shifts real positions.
 */
function xlmrPositionIds(g: GraphBuilder, inputIds: string, padTokenId: number): string {
  const pad = g.constInt64([padTokenId], []);
  const notPad = g.op('Not', [g.op('Equal', [inputIds, pad])]);
  const mask = g.op('Cast', [notPad], [{ name: 'to', int: INT64 }]);
  const counts = g.op('CumSum', [mask, g.constInt64([1], [])]);
  return g.op('Add', [g.op('Mul', [counts, mask]), pad], [], 'position_ids');
}

/** x W^T + b as MatMul + Add with W stored transposed, as torch.onnx.export emits nn.Linear. */
function linear(g: GraphBuilder, params: Params, x: string, prefix: string): string {
  return g.op('Add', [
    g.op('MatMul', [x, params.linearWeight(`${prefix}.weight`)]),
    params.get(`${prefix}.bias`),
  ]);
}

function layerNorm(g: GraphBuilder, params: Params, x: string, prefix: string, eps: number): string {
  const attrs = [
    { name: 'axis', int: -1 },
    { name: 'epsilon', float: eps },
  ];
  return g.op('LayerNormalization', [x, params.get(`${prefix}.weight`), params.get(`${prefix}.bias`)], attrs);
}

/** Exact GELU, x * 0.5 * (1 + erf(x / sqrt 2)), in the Div-Erf-Add-Mul-Mul form onnxruntime fuses. */
function gelu(g: GraphBuilder, x: string): string {
  const erf = g.op('Erf', [g.op('Div', [x, g.constFloat([Math.SQRT2])])]);
  const onePlus = g.op('Add', [erf, g.constFloat([1])]);
  return g.op('Mul', [g.op('Mul', [x, onePlus]), g.constFloat([0.5])], [], 'gelu');
}

/**
 * The HF tensors by name, each turned into an initializer on first use (so initializer order follows
 * the graph, and nothing is stored twice). Every tensor must be used exactly as its name promises.
 */
class Params {
  private readonly byName = new Map<string, NamedTensor>();
  private readonly used = new Set<string>();

  constructor(
    private readonly g: GraphBuilder,
    private readonly tensors: NamedTensor[],
  ) {
    for (const t of tensors) {
      if (this.byName.has(t.name)) throw new Error(`duplicate tensor ${t.name}`);
      this.byName.set(t.name, t);
    }
  }

  private take(name: string): NamedTensor {
    const t = this.byName.get(name);
    if (!t) throw new Error(`missing tensor ${name}`);
    if (this.used.has(name)) throw new Error(`tensor ${name} used twice`);
    this.used.add(name);
    return t;
  }

  get(name: string): string {
    const t = this.take(name);
    return this.g.floatInitializer(name, t.shape, t.data);
  }

  /** A Linear weight [out, in], stored only as its [in, out] transpose under `<name>.T`. */
  linearWeight(name: string): string {
    const t = this.take(name);
    if (t.shape.length !== 2)
      throw new Error(`${name}: expected a 2-D Linear weight, got [${t.shape.join(', ')}]`);
    const [out, inDim] = t.shape as [number, number];
    return this.g.floatInitializer(`${name}.T`, [inDim, out], transpose2d(t.data, out, inDim));
  }

  assertAllUsed(): void {
    const unused = this.tensors.filter((t) => !this.used.has(t.name)).map((t) => t.name);
    if (unused.length > 0) throw new Error(`tensors not used by the graph: ${unused.join(', ')}`);
  }
}
