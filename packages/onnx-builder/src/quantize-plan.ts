import type { Initializer, PlannedModel } from './initializers';
import type { Int8WeightType } from './int8-weights';
import { FLOAT } from './proto';
import { floatData, QUANTIZED_SUFFIX, quantizeMatrix, rewriteMatMulsInt8 } from './quantize';

const nameOf = (init: Initializer): string =>
  init.kind === 'constant' ? (init.proto.name ?? '') : init.kind === 'weight' ? init.name : init.weight.name;

/**
 * `quantizeDynamicInt8` applied to a planned model, before any weight is read: the same nodes and
 * the same bytes, but each weight is quantized as it streams from the checkpoint at serialization,
 * so the float32 model never exists in memory. This is how an int8 graph is made for a model whose
 * float32 graph is past the 2 GB a protobuf holds (qwen3-0.6b: 2.4 GB in float32, ~1.1 GB in int8,
 * the embedding staying float32).
 */
export function quantizePlan(
  plan: PlannedModel,
  perChannel: boolean,
  weightType: Int8WeightType,
): PlannedModel {
  const byName = new Map(plan.initializers.map((init) => [nameOf(init), init]));
  const graph = plan.model.graph ?? {};
  const { nodes, weights } = rewriteMatMulsInt8(graph.node ?? [], (name) => {
    const init = byName.get(name);
    if (init?.kind === 'weight') return init.dims.length === 2;
    const proto = init?.kind === 'constant' ? init.proto : undefined;
    return proto?.dataType === FLOAT && (proto.dims ?? []).length === 2 && proto.rawData != null;
  });
  const quantized = new Set(weights);
  const initializers: Initializer[] = plan.initializers.filter((init) => !quantized.has(nameOf(init)));
  for (const name of weights) {
    const init = byName.get(name)!;
    if (init.kind === 'weight') initializers.push({ kind: 'int8', weight: init, perChannel, weightType });
    else if (init.kind === 'constant') {
      const [rows, cols] = (init.proto.dims ?? []).map(Number) as [number, number];
      for (const proto of quantizeMatrix(name, floatData(init.proto), rows, cols, perChannel, weightType))
        initializers.push({ kind: 'constant', proto });
    }
  }
  const producerName = `${plan.model.producerName ?? ''}${QUANTIZED_SUFFIX}`;
  return { model: { ...plan.model, producerName, graph: { ...graph, node: nodes } }, initializers };
}
