// SPDX-License-Identifier: Apache-2.0
/**
 * SELECT_V2 and SELECT: output = condition ? x : y, elementwise, the stored values copied as they are
 * (TFLite Micro's select.cc requantizes nothing: x, y and the output share one quantization).
 * Condition bool; x, y and the output int8 or int16 (TFLite Micro's integer types; float32 aside).
 *
 * SELECT_V2 broadcasts all three operands against each other (TFLite Micro's BroadcastSelect5DSlow,
 * so at most rank 5). SELECT (v1) takes equal shapes, or a rank-1 condition choosing whole slices
 * along the first dimension (desktop TFLite's RankOneSelect). TFLite Micro does not register SELECT
 * at all (only SELECT_V2), so SELECT is checked against the reference kernel only.
 */
import { OpError } from '../../../errors.ts';
import { DTYPE_C, type DType, type Graph, type Op } from '../../../ir/graph.ts';
import type { OpDef } from '../../op.ts';
import { broadcastShape } from './broadcast.ts';
import { sameShape } from './elementwise.ts';
import { shapeComment, shapeText } from './shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from './weighted.ts';

const DTYPES: readonly DType[] = ['int8', 'int16', 'float32'];

/** One output loop and each operand's element stride along it (0: repeated). */
export interface SelectLoop {
  extent: number;
  strides: [number, number, number];
}

export interface SelectParams {
  kind: string;
  dtype: DType;
  loops: SelectLoop[];
  size: number;
  outShape: number[];
}

/** The loops walking `out` in order with the offsets of three operands broadcast to it. */
function selectLoops(shapes: number[][], out: number[]): SelectLoop[] {
  const rank = out.length;
  const strides = shapes.map((shape) => {
    const dims = out.map((_, i) => shape[shape.length - rank + i] ?? 1);
    const s = new Array<number>(rank).fill(0);
    let step = 1;
    for (let i = rank - 1; i >= 0; i--) {
      s[i] = dims[i] === 1 ? 0 : step;
      step *= dims[i]!;
    }
    return s;
  });
  const loops: SelectLoop[] = [];
  out.forEach((extent, i) => {
    if (extent !== 1) loops.push({ extent, strides: [strides[0]![i]!, strides[1]![i]!, strides[2]![i]!] });
  });
  for (let i = loops.length - 2; i >= 0; i--) {
    const o = loops[i]!,
      n = loops[i + 1]!;
    if (o.strides.every((s, k) => s === n.strides[k]! * n.extent)) loops.splice(i, 2, { extent: o.extent * n.extent, strides: n.strides });
  }
  return loops;
}

function prepareSelect(graph: Graph, op: Op, v2: boolean): SelectParams {
  const cond = requireInput(graph, op, 0, 'condition');
  const x = requireInput(graph, op, 1, 'x');
  const y = requireInput(graph, op, 2, 'y');
  const out = requireOutput(graph, op);
  if (cond.dtype !== 'bool') throw new OpError(op.index, op.kind, `condition ${tensorLabel(cond)} is ${cond.dtype}; expected bool`);
  if (!DTYPES.includes(x.dtype)) throw new OpError(op.index, op.kind, `x ${tensorLabel(x)} is ${x.dtype}; ${op.kind} supports ${DTYPES.join(', ')}`);
  for (const [t, role] of [
    [y, 'y'],
    [out, 'output'],
  ] as const) {
    if (t.dtype !== x.dtype) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is ${t.dtype}; x is ${x.dtype}`);
  }
  let shapes = [cond.shape, x.shape, y.shape];
  if (v2) {
    const shape = broadcastShape(broadcastShape(cond.shape, x.shape) ?? [-1], y.shape);
    if (!shape || shape.includes(-1))
      throw new OpError(op.index, op.kind, `condition ${shapeText(cond.shape)}, x ${shapeText(x.shape)} and y ${shapeText(y.shape)} do not broadcast`);
    if (!sameShape(shape, out.shape))
      throw new OpError(op.index, op.kind, `output ${tensorLabel(out)} has shape ${shapeText(out.shape)}; the operands broadcast to ${shapeText(shape)}`);
    if (shape.length > 5 && !(sameShape(cond.shape, x.shape) && sameShape(x.shape, y.shape)))
      throw new OpError(op.index, op.kind, `rank ${shape.length}: TFLite Micro broadcasts SELECT_V2 up to rank 5`);
  } else {
    if (!sameShape(x.shape, y.shape) || !sameShape(x.shape, out.shape))
      throw new OpError(
        op.index,
        op.kind,
        `x ${shapeText(x.shape)}, y ${shapeText(y.shape)} and the output ${shapeText(out.shape)} must have one shape (SELECT does not broadcast)`,
      );
    const rankOne = cond.shape.length === 1 && x.shape.length > 1 && cond.shape[0] === x.shape[0];
    if (!sameShape(cond.shape, x.shape) && !rankOne)
      throw new OpError(
        op.index,
        op.kind,
        `condition ${shapeText(cond.shape)} must have x's shape ${shapeText(x.shape)} or be a vector over its first dimension`,
      );
    // a rank-1 condition picks slices along dimension 0: as a broadcast of [n, 1, 1, ...]
    if (rankOne) shapes = [[cond.shape[0]!, ...x.shape.slice(1).map(() => 1)], x.shape, y.shape];
  }
  return { kind: op.kind, dtype: x.dtype, loops: selectLoops(shapes, out.shape), size: out.shape.reduce((a, b) => a * b, 1), outShape: [...out.shape] };
}

function walk(loops: SelectLoop[], visit: (c: number, x: number, y: number) => void): void {
  const go = (level: number, c: number, x: number, y: number): void => {
    if (level === loops.length) {
      visit(c, x, y);
      return;
    }
    const { extent, strides } = loops[level]!;
    for (let i = 0; i < extent; i++) go(level + 1, c + i * strides[0], x + i * strides[1], y + i * strides[2]);
  };
  go(0, 0, 0, 0);
}

export function selectOp(kind: 'SELECT' | 'SELECT_V2', dir: string): OpDef<SelectParams> {
  const v2 = kind === 'SELECT_V2';
  return {
    kind,
    dir,
    // copies stored values: float32 layers run the same C
    floatKernel: true,
    check(graph, op) {
      prepareSelect(graph, op, v2);
    },
    prepare: (graph, op) => prepareSelect(graph, op, v2),
    macs: () => 0,
    evaluate(p, inputs, outputs) {
      const c = inputs[0] as Uint8Array;
      const x = inputs[1] as Int8Array | Int16Array;
      const y = inputs[2] as Int8Array | Int16Array;
      const out = outputs[0] as Int8Array | Int16Array;
      let o = 0;
      walk(p.loops, (ic, ix, iy) => {
        out[o++] = c[ic] ? x[ix]! : y[iy]!;
      });
    },
    emitC(p, ctx) {
      const ctype = DTYPE_C[p.dtype];
      const index = (k: number) =>
        p.loops
          .map((l, i) => ({ i, s: l.strides[k]! }))
          .filter(({ s }) => s !== 0)
          .map(({ i, s }) => (s === 1 ? `i${i}` : `i${i} * ${s}`))
          .join(' + ') || '0';
      const vars = p.loops.map((_, i) => `i${i}`).join(', ');
      const open = p.loops.map((l, i) => `${'  '.repeat(i + 1)}for (i${i} = 0; i${i} < ${l.extent}; ++i${i}) {`).join('\n');
      const close = p.loops.map((_, i) => `${'  '.repeat(p.loops.length - i)}}`).join('\n');
      const pad = '  '.repeat(p.loops.length + 1);
      return `/* ${kind} ${p.dtype} [${shapeComment(p.outShape)}], ${p.size} elements: condition ? x : y, stored values copied */
static void ${ctx.fnName}(void) {
  const uint8_t *cond = (const uint8_t *)${ctx.input(0)};
  const ${ctype} *x = ${ctx.input(1)};
  const ${ctype} *y = ${ctx.input(2)};
  ${ctype} *out = ${ctx.output(0)};
${vars ? `  int ${vars};\n` : ''}${open}
${pad}*out++ = cond[${index(0)}] ? x[${index(1)}] : y[${index(2)}];
${close}
}
`;
    },
  };
}
