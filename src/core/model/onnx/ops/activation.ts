// SPDX-License-Identifier: Apache-2.0
/**
 * What the lowerings of Relu and Clip share: fusing into the producing conv / fully connected op
 * when that op's output feeds nothing else and the activation keeps its quantization, else a
 * standalone RELU / RELU6 / RELU_N1_TO_1.
 */
import type { FusedActivation } from '../../../ir/graph.ts';
import type { Lowering } from '../lowering.ts';
import type { OnnxNodeProto } from '../schema.ts';
import { sameQuantization } from '../values.ts';
import { outputWithQuant } from './outputs.ts';

const FUSES = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'AVERAGE_POOL_2D', 'MAX_POOL_2D', 'ADD', 'MUL']);
const OP_OF: Record<string, string> = { RELU: 'RELU', RELU6: 'RELU6', RELU_N1_TO_1: 'RELU_N1_TO_1' };

export function lowerActivation(ctx: Lowering, node: OnnxNodeProto, activation: FusedActivation): void {
  const x = ctx.activation(node, 0, 'the input');
  const quantized = ctx.quantizedInputs(node, [x]);
  const t = ctx.tensor(x);
  const producer = ctx.ops.find((op) => op.outputs.includes(x.index));
  // every ONNX name bound to the tensor, and who reads them: fusing changes what they all see
  const names = [...ctx.values.entries()].filter(([, v]) => v.kind === 'tensor' && v.index === x.index).map(([name]) => name);
  // (a DequantizeLinear giving another of these names is a view, not a reader)
  const view = (k: number) => k >= 0 && ctx.nodes[k]!.opType === 'DequantizeLinear' && names.includes(ctx.nodes[k]!.output?.[0] ?? '');
  const readers = names.reduce((n, name) => n + (ctx.consumers.get(name) ?? []).filter((k) => !view(k)).length, 0);
  const fusable = producer && FUSES.has(producer.kind) && (producer.attrs.activation ?? 'NONE') === 'NONE' && readers === 1;
  if (fusable) {
    // the tensor now holds the activation's output: the names of the value before it go
    const forget = () => names.forEach((name) => ctx.values.delete(name));
    if (!quantized) {
      forget();
      producer.attrs.activation = activation;
      ctx.values.set(node.output![0]!, { ...x });
      ctx.note(`fused into the preceding ${producer.kind}`);
      return;
    }
    const q = ctx.soleConsumer(node.output![0]!);
    if (q && q.node.opType === 'QuantizeLinear' && sameQuantization(ctx.quantizeParams(q.node).quant, t.quant!)) {
      forget();
      producer.attrs.activation = activation;
      ctx.absorbed.add(q.index);
      ctx.values.set(q.node.output![0]!, { kind: 'tensor', index: x.index, perm: x.perm });
      ctx.note(`fused into the preceding ${producer.kind}`);
      return;
    }
  }
  // int8 RELU6 (TFLite Micro's) clamps without requantizing: it writes the input's quantization
  const out = outputWithQuant(ctx, node, ctx.onnxShape(x), x.perm, { quantized, wanted: activation === 'RELU6' ? t.quant : undefined });
  ctx.addQuantizedOp(OP_OF[activation]!, [x.index], [out.index], {}, quantized);
  out.finish();
}
