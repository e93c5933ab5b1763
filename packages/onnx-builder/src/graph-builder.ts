import type { Initializer, PlannedModel } from './initializers';
import { FLOAT, INT64, type OnnxTypes, onnx } from './proto';
import { littleEndianBytes } from './raw-data';

/** A dimension of a graph input/output: a fixed size or a symbolic name such as `batch_size`. */
export type Dim = number | string;

/** Node attributes carry their ONNX type explicitly, since a JS number cannot tell int from float. */
export type Attr =
  | { name: string; int: number }
  | { name: string; float: number }
  | { name: string; ints: number[] };

const AttrType = onnx.AttributeProto.AttributeType;

function toAttribute(attr: Attr): OnnxTypes.IAttributeProto {
  if ('int' in attr) return { name: attr.name, type: AttrType.INT, i: attr.int };
  if ('float' in attr) return { name: attr.name, type: AttrType.FLOAT, f: attr.float };
  return { name: attr.name, type: AttrType.INTS, ints: attr.ints };
}

export function valueInfo(name: string, elemType: number, dims: Dim[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Which operators a graph is written with:
 * - `fused`: what runs fastest on onnxruntime's CPU provider. Each attention without a positional
 *   bias is an If: for a batch without padding (every mask value 1, e.g. one pair) one
 *   com.microsoft MultiHeadAttention with no mask, which onnxruntime computes as flash attention
 *   (never holding the [B, heads, S, S] scores); with padding, the standard nodes. Everything else as
 *   `standard`: onnxruntime fuses LayerNorm and GELU itself, and its other contrib kernels measured
 *   slower (BENCHMARKS.md);
 * - `standard`: standard ONNX operators only (attention as MatMul/Softmax, residual Add then
 *   LayerNormalization, GELU as Erf), the nodes `torch.onnx.export` writes, for other runtimes.
 */
export type Operators = 'fused' | 'standard';

/** The contrib operator domain of onnxruntime. */
export const MS_DOMAIN = 'com.microsoft';

/**
 * Accumulates nodes, initializers and graph inputs/outputs in insertion order (arrays only, so the
 * serialized bytes depend on nothing but the build calls). Node and value names come from one counter
 * and are unique by construction.
 */
export class GraphBuilder {
  // Swapped while a branch of an If is built (see ifElse).
  private nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private readonly metadata: OnnxTypes.IStringStringEntryProto[] = [];
  // Small constants are shared by value so that e.g. every layer's `1.0` is one initializer.
  private readonly constants = new Map<string, string>();
  private counter = 0;
  private usesContrib = false;

  constructor(
    /** Which operators the architectures emit (see `Operators`). */
    readonly operators: Operators = 'fused',
  ) {}

  /** Whether contrib operators replace the subgraphs they fuse. */
  get fused(): boolean {
    return this.operators === 'fused';
  }

  /** Reserves `name` as is; throws if it is already taken (graph inputs, HF weight names). */
  claim(name: string): string {
    if (this.names.has(name)) throw new Error(`duplicate ONNX value name: ${name}`);
    this.names.add(name);
    return name;
  }

  /** A fresh name `<base>_<n>`; the counter is global, so names also say in which order nodes were made. */
  fresh(base: string): string {
    return this.claim(this.unusedName(base));
  }

  private unusedName(base: string): string {
    let name: string;
    do name = `${base}_${this.counter++}`;
    while (this.names.has(name));
    return name;
  }

  input(name: string, elemType: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), elemType, dims));
    return name;
  }

  /** Declares `value` a graph output under `name`, through an Identity node so any value can be exposed. */
  output(value: string, name: string, elemType: number, dims: Dim[]): void {
    this.nodes.push({
      name: this.fresh('Identity'),
      opType: 'Identity',
      input: [value],
      output: [this.claim(name)],
    });
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** Adds one node with a single output named after `hint` (default: the op type) and returns that name. */
  op(opType: string, inputs: string[], attrs: Attr[] = [], hint = opType): string {
    const output = this.fresh(hint);
    const node: OnnxTypes.INodeProto = { name: this.fresh(opType), opType, input: inputs, output: [output] };
    if (attrs.length > 0) node.attribute = attrs.map(toAttribute);
    this.nodes.push(node);
    return output;
  }

  /**
   * A com.microsoft contrib node. `outputs` gives a name hint per output, `null` for an optional
   * output left out (an empty name, as ONNX marks it); returns the output names in that order.
   * Optional inputs left out are given as `''`.
   */
  contrib(opType: string, inputs: string[], attrs: Attr[], outputs: (string | null)[] = [opType]): string[] {
    this.usesContrib = true;
    const names = outputs.map((hint) => (hint === null ? '' : this.fresh(hint)));
    // Trailing optional inputs are dropped rather than left as empty names.
    const used = [...inputs];
    while (used.length > 0 && used[used.length - 1] === '') used.pop();
    const node: OnnxTypes.INodeProto = {
      name: this.fresh(opType),
      opType,
      domain: MS_DOMAIN,
      input: used,
      output: names,
    };
    if (attrs.length > 0) node.attribute = attrs.map(toAttribute);
    this.nodes.push(node);
    return names;
  }

  /**
   * An ONNX If on the bool scalar `cond`: `thenBranch` and `elseBranch` each add the nodes of one
   * subgraph (outer values and initializers stay visible in it) and return its float output.
   */
  ifElse(cond: string, thenBranch: () => string, elseBranch: () => string, hint = 'If'): string {
    const branch = (name: string, build: () => string): OnnxTypes.IGraphProto => {
      const outer = this.nodes;
      this.nodes = [];
      try {
        const value = build();
        return {
          name: this.fresh(name),
          node: this.nodes,
          output: [{ name: value, type: { tensorType: { elemType: FLOAT } } }],
        };
      } finally {
        this.nodes = outer;
      }
    };
    const thenGraph = branch('then_branch', thenBranch);
    const elseGraph = branch('else_branch', elseBranch);
    const output = this.fresh(hint);
    this.nodes.push({
      name: this.fresh('If'),
      opType: 'If',
      input: [cond],
      output: [output],
      attribute: [
        { name: 'then_branch', type: AttrType.GRAPH, g: thenGraph },
        { name: 'else_branch', type: AttrType.GRAPH, g: elseGraph },
      ],
    });
    return output;
  }

  /** A float32 initializer holding checkpoint tensor `tensor` (optionally transposed), read at serialization. */
  weight(name: string, dims: number[], tensor: string, transpose?: [number, number]): string {
    this.initializers.push({ kind: 'weight', name: this.claim(name), dims, tensor, transpose });
    return name;
  }

  /** A float32 initializer [rows.length, cols] holding the given rows of 2-D checkpoint tensor `tensor`. */
  weightRows(name: string, tensor: string, rows: number[], cols: number): string {
    this.initializers.push({
      kind: 'weight',
      name: this.claim(name),
      dims: [rows.length, cols],
      tensor,
      rows,
    });
    return name;
  }

  /** A `metadata_props` entry of the model (what a loader checks the graph against). */
  meta(key: string, value: string): void {
    if (this.metadata.some((m) => m.key === key)) throw new Error(`duplicate metadata key: ${key}`);
    this.metadata.push({ key, value });
  }

  floatInitializer(name: string, dims: number[], data: Float32Array): string {
    checkSize(name, dims, data.length);
    this.pushConstant({ name: this.claim(name), dims, dataType: FLOAT, rawData: littleEndianBytes(data) });
    return name;
  }

  int64Initializer(name: string, dims: number[], data: BigInt64Array): string {
    checkSize(name, dims, data.length);
    this.pushConstant({ name: this.claim(name), dims, dataType: INT64, rawData: littleEndianBytes(data) });
    return name;
  }

  private pushConstant(proto: OnnxTypes.ITensorProto): void {
    this.initializers.push({ kind: 'constant', proto });
  }

  /** A float32 constant; `dims` [] makes a scalar. Equal constants share one initializer. */
  constFloat(values: number[], dims: number[] = []): string {
    const key = `f:${dims.join('x')}:${values.join(',')}`;
    return this.shared(key, () =>
      this.floatInitializer(this.unusedName('const_f'), dims, Float32Array.from(values)),
    );
  }

  /** An int64 constant; `dims` [] makes a scalar. Equal constants share one initializer. */
  constInt64(values: number[], dims: number[] = [values.length]): string {
    const key = `i:${dims.join('x')}:${values.join(',')}`;
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    return this.shared(key, () => this.int64Initializer(this.unusedName('const_i'), dims, data));
  }

  private shared(key: string, make: () => string): string {
    let name = this.constants.get(key);
    if (name === undefined) {
      name = make();
      this.constants.set(key, name);
    }
    return name;
  }

  /** The ModelProto around the graph built so far, with its initializers still to be materialized. */
  finish(opts: { graphName: string; producerName: string; irVersion: number; opset: number }): PlannedModel {
    const model: OnnxTypes.IModelProto = {
      irVersion: opts.irVersion,
      producerName: opts.producerName,
      opsetImport: [
        { domain: '', version: opts.opset },
        ...(this.usesContrib ? [{ domain: MS_DOMAIN, version: 1 }] : []),
      ],
      graph: {
        name: opts.graphName,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
      },
    };
    if (this.metadata.length > 0) model.metadataProps = this.metadata;
    return { model, initializers: this.initializers };
  }
}

function checkSize(name: string, dims: number[], length: number): void {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== length)
    throw new Error(`initializer ${name}: shape [${dims.join(', ')}] needs ${size} values, got ${length}`);
}
