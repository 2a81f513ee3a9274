// SPDX-License-Identifier: Apache-2.0
/**
 * ADD_N, int8 (TFLite Micro's AddN quantized path; its other type is float32): the elementwise sum of
 * N ≥ 2 inputs of one shape and one quantization, rescaled to the output (see common/families/add_scan.ts,
 * including TFLite Micro's extra input-offset term). The int32 sum wraps on overflow, as TFLite
 * Micro's does on its targets (many inputs near the extremes); the C (add_n.c.hbs) sums the raw
 * values and shifts once, wrapping as uint32 so that this is defined behaviour.
 */
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatAddN } from '../common/families/float_elementwise.ts';
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { ADD_SCAN_LEFT_SHIFT, type AddScanParams, addScanParams, scaledInput, scaledOutput } from '../common/families/add_scan.ts';
import { sameShape } from '../common/families/elementwise.ts';
import { checkedByPrepare, inputTensors, shapeComment } from '../common/families/shape_ops.ts';
import { requireOutput, tensorLabel } from '../common/families/weighted.ts';

export interface AddNParams extends AddScanParams {
  inputs: number;
  size: number;
  shape: number[];
}

function prepareAddN(graph: Graph, op: Op): AddNParams {
  const inputs = inputTensors(graph, op);
  const output = requireOutput(graph, op);
  if (inputs.length < 2) throw new OpError(op.index, op.kind, `expected at least 2 inputs, got ${inputs.length}`);
  inputs.forEach((t, i) => {
    if (!sameShape(t.shape, output.shape))
      throw new OpError(
        op.index,
        op.kind,
        `input ${i} ${tensorLabel(t)} has shape [${t.shape.join(',')}]; every input and the output must have one shape [${output.shape.join(',')}] (ADD_N does not broadcast)`,
      );
  });
  return { ...addScanParams(graph, op, inputs, output), inputs: inputs.length, size: output.shape.reduce((a, b) => a * b, 1), shape: [...output.shape] };
}

const addN: OpDef<AddNParams> = {
  kind: 'ADD_N',
  dir: import.meta.dirname,
  ...checkedByPrepare(prepareAddN),
  macs: (graph, op) => graph.tensors[op.outputs[0]!]!.shape.reduce((a, b) => a * b, 1) * (op.inputs.length - 1),
  evaluate(p, inputs, outputs) {
    const ins = inputs as Int8Array[];
    const out = outputs[0] as Int8Array;
    for (let i = 0; i < p.size; i++) {
      let sum = p.start;
      for (let j = 0; j < p.inputs; j++) sum = (sum + scaledInput(p, ins[j]![i]!)) | 0;
      out[i] = scaledOutput(p, sum);
    }
  },
  // the input multiplier is exactly 0.5 (s / 2s) with shift 0, so each scaled input is exactly
  // (q − z)·2^19 and the sum, offset term included, is (Σq + (N+1)·(−z))·2^19 (wrapping as uint32)
  emitC(p, ctx) {
    const signed = (v: number) => (v < 0 ? `- ${-v}` : `+ ${v}`);
    return ctx.render('add_n.c.hbs', {
      fnName: ctx.fnName,
      shape: shapeComment(p.shape),
      count: p.inputs,
      size: p.size,
      inputs: Array.from({ length: p.inputs }, (_, j) => ({ j, ptr: ctx.input(j) })),
      output: ctx.output(0),
      offsetSum: signed((p.inputs + 1) * p.inputOffset),
      leftShift: ADD_SCAN_LEFT_SHIFT - 1,
      outputMultiplier: p.outputMultiplier,
      outputShift: p.outputShift,
      outputZeroPoint: signed(p.outputZeroPoint),
    });
  },
};

// float32 layers: 0 plus each input in order (common/families/float_elementwise.ts)
export default withFloatVariant(addN, floatAddN);
