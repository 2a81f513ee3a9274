// SPDX-License-Identifier: Apache-2.0
/**
 * The Armv8.1-M MVE (Helium: Cortex-M55, Cortex-M85) matrix product behind CONV_2D and
 * FULLY_CONNECTED: out[r][n] = requant(start[n] + sum_k w[n][k] * x[r][k]), start = bias + input
 * offset * sum_k w folded at compile time, so the inner loop multiplies the raw int8 bytes.
 *
 * - One VMLADAVA.S8 multiplies 16 input bytes by 16 weight bytes and adds the 16 products to an
 *   even general register. A pass keeps a block of rows x channels sums in the eight even registers
 *   (2 rows x 4 channels, or for a lone row 1 x 8) and loads each 16-byte vector once per block: 6
 *   loads per 8 VMLADAVAs (1 x 8: 9 per 8). The loop is inline assembly (mveSumsAsm).
 * - The weights are re-laid at compile time in the order a pass reads them: per group of channels,
 *   per 16-byte chunk of K, the group's channels one after another (one post-incremented pointer),
 *   then the K mod 16 tail bytes of each channel packed; no padding. The tail runs once per pass under
 *   a VCTP.8 predicate (zeroing loads read nothing past the tables), not as scalar code.
 * - Four channels' sums of a row become one vector (two VMOVs), get their starts (one VLDRW) and
 *   are requantized four at a time by mve_matmul.h / arm_helium.h (per-channel multipliers and
 *   shifts as int32 vectors in records, VLDRW each), stored by one VSTRB.32, predicated by VCTP.32
 *   where the last group has fewer channels.
 *
 * Every shape and offset is a literal in the layer's code. The same int32 sums as the portable kernel
 * (VMLADAVA adds modulo 2^32, as the reference's int32 accumulator does within the bound the
 * variant selection checks) and the same requantization, so bit-exact with it.
 */
import type { ChannelMultipliers } from '../families/weighted.ts';
import { foldedAccumulatorInit, isUniform } from '../families/weighted.ts';
import type { LayerEmitContext } from '../../op.ts';

export interface MveMatmulLayer extends ChannelMultipliers {
  rows: number;
  /** inner dimension K (input channels, features or a receptive field) */
  depth: number;
  /** output channels (columns) of the product */
  columns: number;
  inputOffset: number;
  outputZeroPoint: number;
  actMin: number;
  actMax: number;
}

/** Rows and channels of one register block: 8 sums, the most beside the pointers. */
export function mveBlock(rows: number): { rows: number; columns: number } {
  return rows >= 2 ? { rows: 2, columns: 4 } : { rows: 1, columns: 8 };
}

/** Weights [columns][depth] re-laid per group of `group` channels: 16-byte chunks channel after channel, then the packed tails. */
export function mveMatmulWeights(weights: Int8Array, columns: number, depth: number, group: number): Int8Array {
  const out = new Int8Array(columns * depth);
  const chunks = Math.floor(depth / 16);
  const tail = depth % 16;
  let n = 0;
  for (let g = 0; g * group < columns; g++) {
    const c = Math.min(group, columns - g * group);
    for (let q = 0; q < chunks; q++) {
      for (let j = 0; j < c; j++) for (let b = 0; b < 16; b++) out[n++] = weights[(g * group + j) * depth + q * 16 + b]!;
    }
    for (let j = 0; j < c; j++) for (let b = 0; b < tail; b++) out[n++] = weights[(g * group + j) * depth + chunks * 16 + b]!;
  }
  return out;
}

/** Whether some channel shifts left (then the records hold a vector of left shifts too). */
function needsLeft(m: ChannelMultipliers): boolean {
  return m.shift.some((s) => s > 0);
}

/** int32 fields per channel in the per-channel records: multiplier, (left shift), -right shift */
export function mveRecordFields(m: ChannelMultipliers): number {
  return needsLeft(m) ? 3 : 2;
}

/** Per-channel records per quad of channels: mult[4], (max(shift, 0)[4]), min(shift, 0)[4], the last quad zero-padded. */
export function mveMatmulRecords(m: ChannelMultipliers, columns: number, fields = mveRecordFields(m)): Int32Array {
  const left = fields === 3;
  const quads = Math.ceil(columns / 4);
  const out = new Int32Array(quads * 4 * fields);
  for (let n = 0; n < columns; n++) {
    const at = Math.floor(n / 4) * 4 * fields + (n % 4);
    const shift = m.shift[n]!;
    out[at] = m.multiplier[n]!;
    if (left) out[at + 4] = Math.max(shift, 0);
    out[at + 4 * (fields - 1)] = Math.min(shift, 0);
  }
  return out;
}

/** How a pass requantizes: per-channel records, or one multiplier and shift as literals. */
export interface MveRequant {
  perChannel: boolean;
  /** per-channel: int32 fields per channel (mveRecordFields) */
  fields: number;
  /** every channel shifts right by 1 or more: the rounding's sign fixup needs no mask */
  down: boolean;
  multiplier: number;
  shift: number;
  outputZeroPoint: number;
  actMin: number;
  actMax: number;
}

export function mveRequant(l: MveMatmulLayer): MveRequant {
  const perChannel = !isUniform(l);
  return {
    perChannel,
    fields: mveRecordFields(l),
    down: l.shift.every((s) => s < 0),
    multiplier: l.multiplier[0]!,
    shift: l.shift[0]!,
    outputZeroPoint: l.outputZeroPoint,
    actMin: l.actMin,
    actMax: l.actMax,
  };
}

/** The name of the pass function of `rows` rows and `c` channels. */
export function mvePassName(fnName: string, rows: number, c: number): string {
  return `${fnName}_p${rows}x${c}`;
}

/**
 * VMLADAVA's accumulator is an even general register (r0, r2, ..., r12, lr): eight, so a block of 8
 * sums takes all of them, with the loop counted in an odd one (SUBS/BNE) instead of LR's low-overhead
 * loop. GCC 12 spills such a block to the stack from intrinsics, so the inner loop is written as
 * assembly with the sums pinned there (unoptimised builds, which cannot give it those registers,
 * run mveSumsC's intrinsics instead).
 */
const EVEN_REGISTERS = ['r0', 'r2', 'r4', 'r6', 'r8', 'r10', 'r12', 'lr'] as const;

/** Chunks of 16 bytes run without a loop (K < 80): a 2 x 4 chunk is 14 instructions, the loop's SUBS/BNE 2 more. */
const UNROLLED_CHUNKS = 4;

/**
 * The inline assembly of one block's sums: `rows` x `c` accumulators (rows * c <= 8) over `depth`
 * bytes, the first 16-byte chunk peeled (VMLADAV starts the sums, no zeroing), the rest straight
 * or in a SUBS/BNE loop, the tail under a VCTP.8 predicate with zeroing predicated loads; the sums
 * leave as vectors of four channels (`s<r>_<u>`: row r, channels 4u..4u+3) by VMOVs of two registers
 * into two lanes, and `w` at the next group's weights.
 */
function mveSumsAsm(rows: number, c: number, depth: number): string[] {
  const chunks = Math.floor(depth / 16);
  const tail = depth % 16;
  const acc = (r: number, j: number) => EVEN_REGISTERS[r * c + j]!;
  const started = new Set<string>();
  const mac = (r: number, j: number, k: string) => {
    const reg = acc(r, j);
    const op = started.has(reg) ? 'vmladava.s8' : 'vmladav.s8';
    started.add(reg);
    return `${op} ${reg}, %q[v${r}], %q[${k}]`;
  };
  const rowsOf = [...Array(rows).keys()];
  const body: string[] = [];
  const chunk = () => {
    const lines = rowsOf.map((r) => `vldrb.8 %q[v${r}], [%[x${r}]], #16`);
    for (let j = 0; j < c; j++) {
      const k = `k${j % 2}`;
      lines.push(`vldrb.8 %q[${k}], [%[w]], #16`, ...rowsOf.map((r) => mac(r, j, k)));
    }
    return lines;
  };
  if (chunks > 0) body.push(...chunk());
  // up to UNROLLED_CHUNKS chunks straight-line (no counter to keep, no SUBS/BNE), more in a loop
  const looped = chunks > UNROLLED_CHUNKS;
  if (looped) body.push(`1:`, ...chunk(), 'subs %[n], %[n], #1', 'bne 1b');
  else for (let q = 1; q < chunks; q++) body.push(...chunk());
  if (tail > 0) {
    body.push(`vpst${'t'.repeat(rows - 1)}`, ...rowsOf.map((r) => `vldrbt.8 %q[v${r}], [%[x${r}]]`));
    for (let j = 0; j < c; j += 2) {
      const pair = j + 1 < c;
      body.push(pair ? 'vpstt' : 'vpst', `vldrbt.8 %q[k0], [%[w], #${j * tail}]`, ...(pair ? [`vldrbt.8 %q[k1], [%[w], #${(j + 1) * tail}]`] : []));
      body.push(...rowsOf.map((r) => mac(r, j, 'k0')), ...(pair ? rowsOf.map((r) => mac(r, j + 1, 'k1')) : []));
    }
    // w leaves at the next group's weights, as the chunks' post-increments leave it without a tail
    body.push(`add %[w], %[w], #${c * tail}`);
  }
  const outputs: string[] = [];
  for (const r of rowsOf) {
    for (let u = 0; u * 4 < c; u++) {
      // lanes past the last channel repeat its sum: they are never stored
      const lane = (k: number) => acc(r, Math.min(4 * u + k, c - 1));
      const v = `s${r}_${u}`;
      // VMOV Qd[2], Qd[0], Rt, Rt2 writes Rt to lane 0 and Rt2 to lane 2
      body.push(`vmov %q[${v}][2], %q[${v}][0], ${lane(0)}, ${lane(2)}`, `vmov %q[${v}][3], %q[${v}][1], ${lane(1)}, ${lane(3)}`);
      outputs.push(v);
    }
  }
  const used = EVEN_REGISTERS.slice(0, rows * c);
  const operands = [
    ...rowsOf.map((r) => `[x${r}] "+r"(x${r})`),
    '[w] "+r"(w)',
    ...(looped ? ['[n] "+r"(n)'] : []),
    ...outputs.map((v) => `[${v}] "=&w"(${v})`),
    ...rowsOf.map((r) => `[v${r}] "=&w"(v${r})`),
    '[k0] "=&w"(k0)',
    '[k1] "=&w"(k1)',
  ];
  // the tail's predicate comes in VPR ("Up"): the compiler then knows what VPR holds after the block
  const inputs = tail > 0 ? ['[tail] "Up"(tail)'] : [];
  return [
    `int32x4_t ${outputs.join(', ')};`,
    ...(tail > 0 ? [`const mve_pred16_t tail = vctp8q(${tail});`] : []),
    '#if defined(__OPTIMIZE__)',
    ...(looped ? [`int32_t n = ${chunks - 1};`] : []),
    `int8x16_t ${rowsOf.map((r) => `v${r}`).join(', ')}, k0, k1;`,
    '__asm__ volatile(',
    ...body.map((l) => `    "${l}\\n\\t"`),
    `    : ${operands.join(', ')}`,
    `    :${inputs.length ? ` ${inputs.join(', ')}` : ''}`,
    `    : ${[...used, 'cc', 'memory'].map((r) => `"${r}"`).join(', ')});`,
    '#else',
    ...mveSumsC(rows, c, depth),
    '#endif',
  ];
}

/**
 * The same sums from intrinsics, for unoptimised (-O0, Debug) builds, where GCC cannot give the
 * assembly its eight pinned registers and its operands besides.
 */
function mveSumsC(rows: number, c: number, depth: number): string[] {
  const chunks = Math.floor(depth / 16);
  const tail = depth % 16;
  const rowsOf = [...Array(rows).keys()];
  const channels = [...Array(c).keys()];
  const acc = (r: number, j: number) => `a${r}_${j}`;
  const lines = [`int32_t ${rowsOf.flatMap((r) => channels.map((j) => `${acc(r, j)} = 0`)).join(', ')};`];
  const macs = (xs: string[], k: (j: number) => string) =>
    channels.map((j) => `{ const int8x16_t k = ${k(j)}; ${rowsOf.map((r) => `${acc(r, j)} = vmladavaq_s8(${acc(r, j)}, ${xs[r]}, k);`).join(' ')} }`);
  if (chunks > 0) {
    lines.push(`for (int q = 0; q < ${chunks}; ++q, w += ${16 * c}) {`);
    lines.push(`  ${rowsOf.map((r) => `const int8x16_t v${r} = vldrbq_s8(x${r} + 16 * q);`).join(' ')}`);
    lines.push(
      ...macs(
        rowsOf.map((r) => `v${r}`),
        (j) => `vldrbq_s8(w + ${16 * j})`,
      ).map((l) => `  ${l}`),
    );
    lines.push('}');
  }
  if (tail > 0) {
    lines.push('{');
    lines.push(`  ${rowsOf.map((r) => `const int8x16_t v${r} = vldrbq_z_s8(x${r} + ${16 * chunks}, tail);`).join(' ')}`);
    lines.push(
      ...macs(
        rowsOf.map((r) => `v${r}`),
        (j) => `vldrbq_z_s8(w + ${tail * j}, tail)`,
      ).map((l) => `  ${l}`),
    );
    lines.push(`  w += ${c * tail};`);
    lines.push('}');
  }
  for (const r of rowsOf) {
    for (let u = 0; u * 4 < c; u++) {
      const lane = (k: number) => acc(r, Math.min(4 * u + k, c - 1));
      lines.push(`s${r}_${u} = tf_mve_mm_lanes(${lane(0)}, ${lane(1)}, ${lane(2)}, ${lane(3)});`);
    }
  }
  return lines;
}

/**
 * The C of one register block: `rows` rows (at x0, x0 + depth) by `c` channels (rows * c <= 8),
 * writing row r's outputs at out + r * outStride. Arguments (x0, w, start[, rq], out): w at the
 * group's re-laid weights, start at its first channel's start, rq at its records; returns the next
 * group's weights.
 */
export function mvePassFunction(fnName: string, rows: number, c: number, depth: number, outStride: number, rq: MveRequant): string {
  const rowsOf = [...Array(rows).keys()];
  const lines: string[] = [];
  lines.push(
    `static inline __attribute__((always_inline)) const int8_t *${mvePassName(fnName, rows, c)}(const int8_t *x0, const int8_t *w, const int32_t *start, ${rq.perChannel ? 'const int32_t *rq, ' : ''}int8_t *out) {`,
  );
  for (let r = 1; r < rows; r++) lines.push(`  const int8_t *x${r} = x0 + ${r * depth};`);
  lines.push(...mveSumsAsm(rows, c, depth).map((l) => `  ${l}`));
  // four channels at a time: starts, requantization, zero point, clamp, one VSTRB.32 per row
  for (let u = 0; u * 4 < c; u++) {
    const lanes = Math.min(4, c - 4 * u);
    const full = lanes === 4;
    lines.push('  {');
    if (!full) lines.push(`    const mve_pred16_t lanes = vctp32q(${lanes});`);
    lines.push(`    const int32x4_t s = ${full ? `vldrwq_s32(start + ${4 * u})` : `vldrwq_z_s32(start + ${4 * u}, lanes)`};`);
    for (const r of rowsOf) {
      const sum = `vaddq_s32(s${r}_${u}, s)`;
      let scaled: string;
      if (rq.perChannel) {
        const fn = rq.fields === 3 ? 'tf_mve_mm_rq_left' : rq.down ? 'tf_mve_mm_rq_down' : 'tf_mve_mm_rq_right';
        scaled = `${fn}(${sum}, rq${u ? ` + ${u * 4 * rq.fields}` : ''})`;
      } else {
        const fn = rq.shift > 0 ? 'tf_mve_mbqm_n' : rq.down ? 'tf_mve_mm_rq_down_n' : 'tf_mve_mm_rq_right_n';
        scaled = `${fn}(${sum}, ${rq.multiplier}, ${rq.shift})`;
      }
      const bytes = `tf_mve_zp_clamp(${scaled}, ${rq.outputZeroPoint}, ${rq.actMin}, ${rq.actMax})`;
      const at = `out${r * outStride + 4 * u ? ` + ${r * outStride + 4 * u}` : ''}`;
      lines.push(full ? `    vstrbq_s32(${at}, ${bytes});` : `    vstrbq_p_s32(${at}, ${bytes}, lanes);`);
    }
    lines.push('  }');
  }
  lines.push('  return w;', '}');
  return lines.join('\n');
}

/** A product's shape as its pass functions see it: `rows` rows times `columns` channels, in groups of `group` channels. */
export interface MveProductShape {
  /** the layer's function name, the prefix of its pass functions */
  fnName: string;
  rows: number;
  group: number;
  columns: number;
  rq: MveRequant;
}

/**
 * The calls of one block of rows over every group of `columns` channels (their tables at w, start,
 * rq), reading the rows at `x`, the outputs at `out`: lines of C, the pointers advanced past the groups.
 */
export function mveGroupCalls(options: MveProductShape & { x: string; out: string }): string[] {
  const { fnName, rows, group, columns, rq, x, out } = options;
  const full = Math.floor(columns / group);
  const rest = columns % group;
  const rqStep = rq.perChannel ? (group / 4) * 4 * rq.fields : 0;
  const args = (c: number, o: string) => `${x}, w, start, ${rq.perChannel ? 'rq, ' : ''}${o}`;
  const advance = (c: number) => `start += ${c}${rq.perChannel ? `, rq += ${c === group ? rqStep : Math.ceil(c / 4) * 4 * rq.fields}` : ''}`;
  const lines: string[] = [];
  if (full > 0) {
    lines.push(`for (int n = 0; n < ${full}; ++n, ${advance(group)}) w = ${mvePassName(fnName, rows, group)}(${args(group, `${out} + n * ${group}`)});`);
  }
  if (rest > 0) lines.push(`w = ${mvePassName(fnName, rows, rest)}(${args(rest, `${out} + ${full * group}`)}), ${advance(rest)};`);
  return lines;
}

/** The pass functions a product of `rows` rows over `columns` channels (in groups of `group`) calls. */
export function mvePasses(options: MveProductShape & { blockRows: number; depth: number; outStride: number }): string[] {
  const { fnName, rows, group, blockRows, columns, depth, outStride, rq } = options;
  const shapes = new Set<string>();
  const out: string[] = [];
  const rowCounts = [...(rows >= blockRows ? [blockRows] : []), ...(rows % blockRows ? [rows % blockRows] : [])];
  const channelCounts = [...(columns >= group ? [group] : []), ...(columns % group ? [columns % group] : [])];
  for (const r of rowCounts) {
    for (const c of channelCounts) {
      const key = `${r}x${c}`;
      if (shapes.has(key)) continue;
      shapes.add(key);
      out.push(mvePassFunction(fnName, r, c, depth, outStride, rq));
    }
  }
  return out;
}

/** The tables of a product: re-laid weights, starts, per-channel records (or none). */
export function mveTables(
  l: MveMatmulLayer,
  weights: Int8Array,
  bias: Int32Array | undefined,
  group: number,
  ctx: LayerEmitContext,
  startsSymbol?: string,
): { w: string; start: string; rq?: string } {
  const start = startsSymbol ?? ctx.addConst('start', 'int32_t', foldedAccumulatorInit(weights, l.columns, l.depth, l.inputOffset, bias));
  const w = ctx.addConst('w_mve', 'int8_t', mveMatmulWeights(weights, l.columns, l.depth, group));
  const rq = isUniform(l) ? undefined : ctx.addConst('rq', 'int32_t', mveMatmulRecords(l, l.columns));
  return { w, start, rq };
}

/**
 * Emits a layer whose rows are consecutive in the input (1x1 CONV_2D, FULLY_CONNECTED): `weights`
 * [columns][depth] int8 (symmetric), `bias` optional; `starts`: a table of start values to read
 * instead of the folded constant ones (weight_offset.ts's per-batch starts).
 */
export function emitMveMatmul(
  l: MveMatmulLayer,
  weights: Int8Array,
  bias: Int32Array | undefined,
  ctx: LayerEmitContext,
  io: { input: string; output: string; summary: string; starts?: string },
): string {
  const block = mveBlock(l.rows);
  const rq = mveRequant(l);
  const tables = mveTables(l, weights, bias, block.columns, ctx, io.starts);
  const fullBlocks = Math.floor(l.rows / block.rows);
  const restRows = l.rows % block.rows;
  const passes = mvePasses({
    fnName: ctx.fnName,
    rows: l.rows,
    group: block.columns,
    blockRows: block.rows,
    columns: l.columns,
    depth: l.depth,
    outStride: l.columns,
    rq,
  });
  const product = (rows: number) => [
    `const int8_t *w = ${tables.w};`,
    `const int32_t *start = ${tables.start};`,
    ...(tables.rq ? [`const int32_t *rq = ${tables.rq};`] : []),
    ...mveGroupCalls({ fnName: ctx.fnName, rows, group: block.columns, columns: l.columns, rq, x: 'x', out: 'out' }),
  ];
  return ctx.render('../common/isa/mve_matmul.c.hbs', {
    fnName: ctx.fnName,
    summary: io.summary,
    how: mveHow(block, l.depth),
    input: io.input,
    output: io.output,
    passes,
    fullBlocks,
    blockInput: block.rows * l.depth,
    blockOutput: block.rows * l.columns,
    fullProduct: fullBlocks ? product(block.rows) : [],
    restRows,
    restProduct: restRows ? product(restRows) : [],
  });
}

/** The layer comment's account of the kernel. */
export function mveHow(block: { rows: number; columns: number }, depth: number): string {
  const tail = depth % 16;
  return `VMLADAVA ${block.rows} row${block.rows > 1 ? 's' : ''} x ${block.columns} channels per pass over K = ${depth}${tail ? ` (tail of ${tail} predicated)` : ''}, requantized 4 channels a vector`;
}
