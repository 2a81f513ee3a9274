// SPDX-License-Identifier: Apache-2.0
/**
 * CONCATENATION of a layer imported from ONNX, computed as ONNX Runtime's QLinearConcat. It lives
 * beside the op rather than with the other ONNX Runtime kernels (common/families/ort_kernels.ts):
 * it reuses this op's own evaluation and emission, and ort_kernels.ts importing the op's index would
 * make an import cycle that the op's registration runs into.
 */
import type { OpDef } from '../op.ts';
import { type OrtKernel, type OrtTagged } from '../common/families/ort_kernels.ts';
import { roundHalfEven } from '../common/numerics/requant_f32.ts';
import { f32 } from '../common/numerics/fixedpoint.ts';
import { denseStrides, renderCopy } from '../common/families/strided_copy.ts';
import { type ConcatParams, emitConcat, evaluateConcat } from '../common/families/concat.ts';

export interface OrtConcatParams extends OrtTagged, ConcatParams {
  /** per input: the int8 output value of each int8 input value (index q + 128), or null where the quantizations agree */
  tables: (number[] | null)[];
}

/**
 * QLinearConcat's requantization of one input (ONNX Runtime builds the same 256-entry table):
 * dequantized, fround(sx (q - zx)), then quantized as QuantizeLinear, rint(fround(v / sy)) + zy.
 */
export function ortRequantTable(sx: number, zx: number, sy: number, zy: number): number[] {
  return Array.from({ length: 256 }, (_, i) => {
    const v = f32(f32(f32(sx) * (i - 128 - zx)) / f32(sy));
    return Math.min(127, Math.max(-128, roundHalfEven(v) + zy));
  });
}

/**
 * CONCATENATION as QLinearConcat: inputs quantized unlike the output are requantized through a table.
 * `concatenation` is the op's own definition (passed in: the op's module imports this one).
 */
export function ortConcatKernel(concatenation: OpDef<ConcatParams>): OrtKernel<OrtConcatParams> {
  const kernel: OrtKernel<OrtConcatParams> = {
    check(graph, op) {
      kernel.prepare(graph, op);
    },
    prepare(graph, op) {
      const output = graph.tensors[op.outputs[0]!]!;
      // the op's own checks and movements, with every input taken as quantized like the output
      const tensors = graph.tensors.slice();
      for (const i of op.inputs) if (i >= 0) tensors[i] = { ...tensors[i]!, quant: output.quant };
      const base = concatenation.prepare({ ...graph, tensors }, op);
      const tables = op.inputs.map((i) => {
        const q = graph.tensors[i]!.quant!;
        const o = output.quant!;
        if (f32(q.scale[0]!) === f32(o.scale[0]!) && q.zeroPoint[0] === o.zeroPoint[0]) return null;
        return ortRequantTable(q.scale[0]!, q.zeroPoint[0] ?? 0, o.scale[0]!, o.zeroPoint[0] ?? 0);
      });
      return { ...base, requantizationIgnored: [], onnxRuntime: true, tables };
    },
    evaluate(p, inputs, outputs) {
      const mapped = inputs.map((x, j) => {
        const table = p.tables[j];
        return table ? Array.from(x as Int8Array, (v) => table[v + 128]!) : Array.from(x as Int8Array);
      });
      evaluateConcat(p, mapped, outputs[0] as unknown as unknown[]);
    },
    emitC(p, ctx) {
      if (p.tables.every((t) => t === null)) return emitConcat(p, ctx);
      // the inputs that keep their bytes: the op's own copies; the others through their table
      const outStrides = denseStrides(p.outShape);
      let offset = 0;
      const parts: string[] = [];
      p.pieces.forEach((piece, j) => {
        const table = p.tables[j];
        const base = offset * outStrides[p.axis]!;
        offset += piece[p.axis]!;
        if (!table) {
          parts.push(renderCopy(p.moves[j]!.copy, p.ctype, ctx.input(j), ctx.output(0)));
          return;
        }
        const symbol = ctx.addConst(`ort_table${j}`, 'int8_t', table);
        const open = piece.map((extent, k) => `${'  '.repeat(k + 2)}for (i${k} = 0; i${k} < ${extent}; ++i${k}) {\n`).join('');
        const close = piece.map((_, k) => `${'  '.repeat(piece.length - k + 1)}}\n`).join('');
        const at = piece.map((_, k) => (outStrides[k] === 1 ? `i${k}` : `i${k} * ${outStrides[k]}`)).join(' + ');
        parts.push(
          `  {\n    /* input ${j}: requantized as QLinearConcat does, through its table (index q + 128) */\n` +
            `    const int8_t *in = ${ctx.input(j)};\n    int8_t *out = ${ctx.output(0)} + ${base};\n` +
            (piece.length ? `    int ${piece.map((_, k) => `i${k}`).join(', ')};\n` : '') +
            open +
            `${'  '.repeat(piece.length + 2)}out[${at || '0'}] = ${symbol}[*in++ + 128];\n` +
            close +
            `  }\n`,
        );
      });
      return `/* ${ctx.op.kind} int8 along axis ${p.axis} as ONNX Runtime's QLinearConcat */\nstatic void ${ctx.fnName}(void) {\n${parts.join('')}}\n`;
    },
  };
  return kernel;
}
