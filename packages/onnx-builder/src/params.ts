import { BuildError } from './errors';
import type { GraphBuilder } from './graph-builder';
import type { TensorInfo } from './tensor';

/** Buffers PyTorch saves beside the weights that no graph reads (HF recomputes them). */
const IGNORED_BUFFERS = [/\.position_ids$/, /\.token_type_ids$/];

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16']);

/**
 * The checkpoint's tensors by name, each turned into a graph initializer on first use (so initializer
 * order follows the graph, and nothing is stored twice). Every tensor must be used exactly once, in the
 * shape the architecture expects: a checkpoint with extra or odd tensors is a different model, and a
 * clear error beats wrong scores.
 */
export class Params {
  private readonly used = new Set<string>();

  constructor(
    private readonly g: GraphBuilder,
    private readonly tensors: ReadonlyMap<string, TensorInfo>,
  ) {}

  /** Whether the checkpoint has `name` (for optional parameters). */
  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** The first dimension of tensor `name` (a Linear's output size), for sizes config.json leaves out. */
  rows(name: string): number {
    const t = this.tensors.get(name);
    if (!t) throw new BuildError('invalid-checkpoint', `the checkpoint has no tensor ${name}`);
    return t.shape[0] ?? 1;
  }

  private take(name: string, shape: (number | undefined)[], shared = false): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new BuildError('invalid-checkpoint', `the checkpoint has no tensor ${name}`);
    if (this.used.has(name) && !shared) throw new Error(`tensor ${name} used twice`);
    if (!FLOAT_DTYPES.has(t.dtype)) {
      throw new BuildError(
        'invalid-checkpoint',
        `tensor ${name} is ${t.dtype}; weights must be F32, F16 or BF16`,
      );
    }
    const fits =
      t.shape.length === shape.length && shape.every((d, i) => d === undefined || d === t.shape[i]);
    if (!fits) {
      const want = shape.map((d) => d ?? '?').join(', ');
      throw new BuildError(
        'invalid-checkpoint',
        `tensor ${name} has shape [${t.shape.join(', ')}], config.json implies [${want}]`,
      );
    }
    this.used.add(name);
    return t;
  }

  /** The tensor as an initializer under its own name; `shape` entries left undefined are not checked. */
  get(name: string, shape: (number | undefined)[]): string {
    const t = this.take(name, shape);
    return this.g.weight(name, t.shape, name);
  }

  /** A Linear weight [out, in], stored only as its [in, out] transpose under `<name>.T`. */
  linearWeight(name: string, outDim: number, inDim: number): string {
    this.take(name, [outDim, inDim]);
    return this.g.weight(`${name}.T`, [inDim, outDim], name, [outDim, inDim]);
  }

  /**
   * Rows `ids` of the 2-D tensor `name` ([rows, cols]) as their own small initializer `as`: a
   * vocabulary head read at two tokens only. The tensor may also be used whole elsewhere (a head tied
   * to the input embedding), so this does not count as a second use.
   */
  selectRows(name: string, shape: [number | undefined, number], ids: number[], as: string): string {
    const t = this.take(name, shape, true);
    const rows = t.shape[0]!;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= rows)
        throw new BuildError('invalid-checkpoint', `token id ${id} is not a row of ${name} (${rows} rows)`);
    }
    return this.g.weightRows(as, name, ids, shape[1]);
  }

  /** Tensors no node read, besides buffers every export drops. */
  unused(): string[] {
    return [...this.tensors.keys()].filter(
      (name) => !this.used.has(name) && !IGNORED_BUFFERS.some((re) => re.test(name)),
    );
  }
}
