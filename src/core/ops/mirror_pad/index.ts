// SPDX-License-Identifier: Apache-2.0
/**
 * MIRROR_PAD, int8 (TFLite Micro's mirror_pad.cc; its other type is float32): each output coordinate
 * reads the input at a mirrored coordinate, per dimension: before the input, REFLECT maps p to
 * before − p (the edge not repeated) and SYMMETRIC to before − 1 − p (the edge repeated); after it
 * likewise from the far edge. Paddings are constant, at most size − 1 (REFLECT) or size (SYMMETRIC)
 * per side: TFLite Micro reads out of bounds beyond that, the converter never writes it.
 *
 * The C walks the output once with one table per dimension holding the input offset of each output
 * coordinate (a few entries each, in flash); the innermost run inside the input becomes a memcpy.
 */
import { OpError } from '../../errors.ts';
import { DTYPE_BYTES, DTYPE_C, type Graph, type Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { denseStrides } from '../common/families/strided_copy.ts';
import { checkedByPrepare, constIndexValues, requireSameDtype, requireShape, shapeComment } from '../common/families/shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

export interface MirrorPadParams {
  dtype: 'int8' | 'float32';
  mode: 'REFLECT' | 'SYMMETRIC';
  inShape: number[];
  outShape: number[];
  before: number[];
  /** per dimension, per output coordinate: the input element offset it reads */
  maps: number[][];
}

/** The input coordinate output coordinate `p` reads along one dimension (TFLite Micro's GetInputDimension). */
export function mirrorIndex(p: number, before: number, size: number, reflect: boolean): number {
  const offset = reflect ? 1 : 0;
  if (p < before) return before + offset - 1 - p;
  const q = p - before;
  if (q < size) return q;
  return size - 1 - offset - (q - size);
}

function prepareMirror(graph: Graph, op: Op): MirrorPadParams {
  const input = requireInput(graph, op, 0, 'input');
  const paddings = requireInput(graph, op, 1, 'paddings');
  const output = requireOutput(graph, op);
  requireSameDtype(op, input, output);
  if (input.dtype !== 'int8' && input.dtype !== 'float32')
    throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is ${input.dtype}; TFLite Micro's MIRROR_PAD supports int8 and float32`);
  const mode = op.attrs.mode ?? 'REFLECT';
  if (mode !== 'REFLECT' && mode !== 'SYMMETRIC') throw new OpError(op.index, op.kind, `mode ${String(mode)} is not REFLECT or SYMMETRIC`);
  const rank = input.shape.length;
  const pads = constIndexValues(op, paddings, 'paddings');
  if (pads.length !== 2 * rank) throw new OpError(op.index, op.kind, `paddings hold ${pads.length} values; expected ${2 * rank}`);
  const reflect = mode === 'REFLECT';
  input.shape.forEach((d, k) => {
    const most = reflect ? d - 1 : d;
    if (pads[2 * k]! < 0 || pads[2 * k + 1]! < 0 || pads[2 * k]! > most || pads[2 * k + 1]! > most) {
      throw new OpError(op.index, op.kind, `paddings [${pads[2 * k]}, ${pads[2 * k + 1]}] of dimension ${k} (size ${d}) must be in [0, ${most}] for ${mode}`);
    }
  });
  const expected = input.shape.map((d, k) => d + pads[2 * k]! + pads[2 * k + 1]!);
  requireShape(op, output, 'output', expected);
  const strides = denseStrides(input.shape);
  const maps = expected.map((n, k) => Array.from({ length: n }, (_, p) => mirrorIndex(p, pads[2 * k]!, input.shape[k]!, reflect) * strides[k]!));
  return {
    dtype: input.dtype as 'int8' | 'float32',
    mode,
    inShape: [...input.shape],
    outShape: expected,
    before: input.shape.map((_, k) => pads[2 * k]!),
    maps,
  };
}

const mirrorPad: OpDef<MirrorPadParams> = {
  kind: 'MIRROR_PAD',
  dir: import.meta.dirname,
  // copies stored values: float32 layers run the same C
  floatKernel: true,
  ...checkedByPrepare(prepareMirror),
  macs: () => 0,
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int8Array;
    const out = outputs[0] as Int8Array;
    let o = 0;
    const walk = (k: number, at: number): void => {
      if (k === p.maps.length) {
        out[o++] = x[at]!;
        return;
      }
      for (const m of p.maps[k]!) walk(k + 1, at + m);
    };
    walk(0, 0);
  },
  emitC(p, ctx) {
    const rank = p.maps.length;
    if (rank === 0) return `static void ${ctx.fnName}(void) {\n  *${ctx.output(0)} = *${ctx.input(0)};\n}\n`;
    // the innermost dimension: before, the input row (one memcpy), after
    const last = rank - 1;
    const n = p.inShape[last]!;
    const b = p.before[last]!;
    const outer = p.maps.slice(0, last).map((m, k) => ({ k, extent: m.length, table: ctx.addConst(`map${k}`, 'int32_t', m) }));
    const innerTable = ctx.addConst(`map${last}`, 'int32_t', p.maps[last]!);
    const at = outer.map(({ k, table }) => `${table}[i${k}]`).join(' + ') || '0';
    const vars = outer.map(({ k }) => `i${k}`).join(', ');
    const open = outer.map(({ k, extent }) => `${'  '.repeat(k + 1)}for (i${k} = 0; i${k} < ${extent}; ++i${k}) {`).join('\n');
    const close = outer.map(({ k }) => `${'  '.repeat(outer.length - k)}}`).join('\n');
    const pad = '  '.repeat(outer.length + 1);
    const width = p.outShape[last]!;
    const ctype = DTYPE_C[p.dtype];
    return `/* MIRROR_PAD ${p.dtype} ${p.mode} [${shapeComment(p.inShape)}] -> [${shapeComment(p.outShape)}], before [${p.before.join(',')}]: mirrored offsets per dimension */
static void ${ctx.fnName}(void) {
  const ${ctype} *in = ${ctx.input(0)};
  ${ctype} *out = ${ctx.output(0)};
${vars ? `  int ${vars};\n` : ''}  int j;
${open}
${pad}{
${pad}  const ${ctype} *row = in + ${at};
${pad}  for (j = 0; j < ${b}; ++j) out[j] = row[${innerTable}[j]];
${pad}  memcpy(out + ${b}, row, ${n * DTYPE_BYTES[p.dtype]});
${pad}  for (j = ${b + n}; j < ${width}; ++j) out[j] = row[${innerTable}[j]];
${pad}  out += ${width};
${pad}}
${close}
}
`.replace(/\n\n+/g, '\n');
  },
};

export default mirrorPad;
