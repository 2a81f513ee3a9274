// SPDX-License-Identifier: Apache-2.0
/**
 * The RV32IMC (ESP32-C3 class) matrix product behind CONV_2D's 1x1 layers and FULLY_CONNECTED:
 * out[r][n] = requant(start[n] + sum_k w[n][k] * x[r][k]), start = bias + input offset * sum_k w
 * folded at compile time. RV32IMC has no SIMD but 31 registers and a one-cycle multiplier, so the
 * kernel keeps a block of rows x columns accumulators in registers (4 x 4, or 1 x 8 for a single
 * row) and loads each input and weight byte once per block (LB sign-extends for free). The weights
 * are re-laid at compile time in the order the loop reads them (per group of columns, k-major,
 * columns zero-padded to the group) and every shape and offset is a literal of the layer's code.
 * The same int32 sums as the portable kernel and the same tf_mbqm, so bit-exact with it.
 */
import { ortIntegerMultiplier } from '../numerics/requant_f32.ts';
import type { ChannelMultipliers } from '../families/weighted.ts';
import { cTerm, foldedAccumulatorInit, isUniform } from '../families/weighted.ts';
import type { LayerEmitContext } from '../../op.ts';

export interface Rv32MatmulLayer extends ChannelMultipliers {
  rows: number;
  /** inner dimension (input channels or features) */
  depth: number;
  /** output columns (channels or features) */
  columns: number;
  inputOffset: number;
  outputZeroPoint: number;
  actMin: number;
  actMax: number;
}

/** Rows and columns of one register block: 16 accumulators at most (gcc keeps them in registers). */
export function rv32Block(rows: number, columns: number): { rows: number; columns: number } {
  if (rows >= 4) return { rows: 4, columns: 4 };
  if (rows >= 2) return { rows: 2, columns: columns > 4 ? 8 : 4 };
  return { rows: 1, columns: columns > 4 ? 8 : 4 };
}

/** Weights [columns][depth] regrouped as [group][depth][C], zero columns padding the last group. */
export function rv32MatmulWeights(weights: Int8Array, columns: number, depth: number, groupColumns: number): Int8Array {
  const groups = Math.ceil(columns / groupColumns);
  const out = new Int8Array(groups * depth * groupColumns);
  for (let g = 0; g < groups; g++) {
    for (let k = 0; k < depth; k++) {
      for (let j = 0; j < groupColumns; j++) {
        const n = g * groupColumns + j;
        if (n < columns) out[(g * depth + k) * groupColumns + j] = weights[n * depth + k]!;
      }
    }
  }
  return out;
}

/** Right shifts only and non-negative multipliers: the records hold e = -shift for tf_rv32_mbqm_right. */
export function rv32RightOnly(m: ChannelMultipliers): boolean {
  return m.shift.every((s) => s <= 0 && s >= -31) && m.multiplier.every((v) => v >= 0);
}

/**
 * Right shifts of at least 1 only (rv32RightOnly besides): the depthwise variant's records hold 2m
 * and e - 1 for tf_rv32_mbqm_right1.
 */
export function rv32RightPositive(m: ChannelMultipliers): boolean {
  return rv32RightOnly(m) && m.shift.every((s) => s <= -1);
}

/** Per group: C start values, then (per-channel requantization) C multipliers and C shifts (or e = -shift). */
export function rv32MatmulRecords(
  start: Int32Array,
  m: ChannelMultipliers,
  columns: number,
  groupColumns: number,
  perChannel: boolean,
  rightOnly = rv32RightOnly(m),
): Int32Array {
  const groups = Math.ceil(columns / groupColumns);
  const fields = perChannel ? 3 : 1;
  const out = new Int32Array(groups * groupColumns * fields);
  for (let g = 0; g < groups; g++) {
    for (let j = 0; j < groupColumns; j++) {
      const n = g * groupColumns + j;
      if (n >= columns) continue;
      const at = g * groupColumns * fields + j;
      out[at] = start[n]!;
      if (perChannel && m.ortScale) {
        // rv32.h tf_rv32_rq_ort's { mantissa, shift }
        const { mantissa, shift } = ortIntegerMultiplier(m.ortScale[n]!)!;
        out[at + groupColumns] = mantissa;
        out[at + 2 * groupColumns] = shift;
      } else if (perChannel) {
        out[at + groupColumns] = m.multiplier[n]!;
        out[at + 2 * groupColumns] = rightOnly ? -m.shift[n]! : m.shift[n]!;
      }
    }
  }
  return out;
}

/**
 * The C of one register block of `rows` rows: a static inline function storing `stores` columns.
 * Row r's inputs are x[r * depth ...], its outputs out[r * columns ...].
 */
export function rv32PassFunction(fnName: string, rows: number, l: Rv32MatmulLayer, c: number): string {
  const lines: string[] = [];
  const acc = (r: number, j: number) => `a${r}_${j}`;
  lines.push(
    `static inline __attribute__((always_inline)) void ${fnName}_pass${rows}(const int8_t *x, const int8_t *w, const int32_t *rec, int8_t *out, const int stores) {`,
  );
  for (let r = 0; r < rows; r++) {
    const init = Array.from({ length: c }, (_, j) => `${acc(r, j)} = ${r === 0 ? `rec[${j}]` : acc(0, j)}`);
    lines.push(`  int32_t ${init.join(', ')};`);
  }
  lines.push(`  for (const int8_t *const x_end = x + ${l.depth}; x != x_end; ++x, w += ${c}) {`);
  lines.push(`    const int32_t ${Array.from({ length: c }, (_, j) => `w${j} = w[${j}]`).join(', ')};`);
  for (let r = 0; r < rows; r++) {
    lines.push(`    const int32_t x${r} = x[${r * l.depth}];`);
    lines.push(`    ${Array.from({ length: c }, (_, j) => `${acc(r, j)} += w${j} * x${r};`).join(' ')}`);
  }
  lines.push('  }');
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < c; j++) {
      const store = `out[${r * l.columns + j}] = ${fnName}_rq(${acc(r, j)}, rec, ${j});`;
      lines.push(j === 0 ? `  ${store}` : `  if (stores > ${j}) ${store}`);
    }
  }
  lines.push('}');
  return lines.join('\n');
}

/**
 * The same register block for one row of `depth` inputs, `c` columns, storing the raw int32 sums
 * (kernels that requantize them their own way, the LSTM's gate rows): `name(x, w, start, out)`,
 * w in rv32MatmulWeights' order for groups of c; `start` absent: the sums start at 0. Not inlined:
 * inside a caller's larger loop gcc would hoist that loop's constants into the registers the c
 * accumulators need and spill the weights.
 */
export function rv32AccumulatePass(name: string, depth: number, c: number, withStart: boolean): string {
  const acc = (j: number) => `a${j}`;
  const init = Array.from({ length: c }, (_, j) => `${acc(j)} = ${withStart ? `start[${j}]` : '0'}`);
  return [
    `static __attribute__((noinline)) void ${name}(const int8_t *x, const int8_t *w, ${withStart ? 'const int32_t *start, ' : ''}int32_t *out) {`,
    `  int32_t ${init.join(', ')};`,
    `  for (const int8_t *const x_end = x + ${depth}; x != x_end; ++x, w += ${c}) {`,
    `    const int32_t x0 = *x;`,
    `    ${Array.from({ length: c }, (_, j) => `${acc(j)} += w[${j}] * x0;`).join(' ')}`,
    '  }',
    `  ${Array.from({ length: c }, (_, j) => `out[${j}] = ${acc(j)};`).join(' ')}`,
    '}',
  ].join('\n');
}

/**
 * `<fnName>_rq(acc, rec, j)`: column j's requantization, clamp and narrowing; per-channel multipliers
 * and shifts are read from a group's records (`rv32MatmulRecords`, groups of `c` columns).
 */
export function rv32RqFunction(l: Rv32MatmulLayer, c: number, ctx: LayerEmitContext): string {
  const ort = l.ortScale ? ortIntegerMultiplier(l.ortScale[0]!)! : undefined;
  const text = ctx.render('../common/isa/rv32_matmul_rq.c.hbs', {
    ort: ort !== undefined,
    ortMantissa: ort?.mantissa,
    ortShift: ort?.shift,
    outputZeroPoint: l.outputZeroPoint,
    fnName: ctx.fnName,
    perChannel: !isUniform(l),
    rightOnly: rv32RightOnly(l),
    recMult: c,
    recShift: 2 * c,
    mult: l.multiplier[0],
    shift: l.shift[0],
    outputZeroPointTerm: cTerm(l.outputZeroPoint),
    actMin: l.actMin,
    actMax: l.actMax,
  });
  return `${text.trimEnd()}\n`;
}

/**
 * Emits the layer: `weights` are [columns][depth] int8 (symmetric), `bias` optional. `how` names the
 * op in the layer comment.
 */
export function emitRv32Matmul(
  l: Rv32MatmulLayer,
  weights: Int8Array,
  bias: Int32Array | undefined,
  ctx: LayerEmitContext,
  io: { input: string; output: string; summary: string; records?: string },
): string {
  const block = rv32Block(l.rows, l.columns);
  const c = block.columns;
  const perChannel = !isUniform(l);
  const start = foldedAccumulatorInit(weights, l.columns, l.depth, l.inputOffset, bias);
  const w = ctx.addConst('w_rv32', 'int8_t', rv32MatmulWeights(weights, l.columns, l.depth, c));
  const rec = io.records ?? ctx.addConst('rec_rv32', 'int32_t', rv32MatmulRecords(start, l, l.columns, c, perChannel));
  const fullGroups = Math.floor(l.columns / c);
  const tail = l.columns % c;
  const fullBlocks = Math.floor(l.rows / block.rows);
  const restRows = l.rows % block.rows;
  const passes = [block.rows, ...(restRows ? [restRows] : [])].map((rows) => rv32PassFunction(ctx.fnName, rows, l, c));
  const groupLoop = (rows: number) =>
    [
      `    const int8_t *w = ${w};`,
      `    const int32_t *rec = ${rec};`,
      ...(fullGroups > 0
        ? [
            `    for (int g = 0; g < ${fullGroups}; ++g, w += ${c * l.depth}, rec += ${c * (perChannel ? 3 : 1)}) ${ctx.fnName}_pass${rows}(x, w, rec, out + g * ${c}, ${c});`,
          ]
        : []),
      ...(tail ? [`    ${ctx.fnName}_pass${rows}(x, w, rec, out + ${fullGroups * c}, ${tail});`] : []),
    ].join('\n');
  return ctx.render('../common/isa/rv32_matmul.c.hbs', {
    fnName: ctx.fnName,
    summary: io.summary,
    how: `${block.rows} row${block.rows > 1 ? 's' : ''} x ${c} columns per pass in registers, weights re-laid in read order`,
    input: io.input,
    output: io.output,
    rq: rv32RqFunction(l, c, ctx),
    passes,
    fullBlocks,
    blockRows: block.rows,
    blockInput: block.rows * l.depth,
    blockOutput: block.rows * l.columns,
    fullLoop: groupLoop(block.rows),
    restRows,
    restLoop: restRows ? groupLoop(restRows) : '',
  });
}
