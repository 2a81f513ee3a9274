// SPDX-License-Identifier: Apache-2.0
/**
 * The 16x8 AVERAGE_POOL_2D and MAX_POOL_2D kernels of the Arm DSP, Armv6-M and RV32 families, bit-exact
 * with TFLite Micro's reference int16 pools (pool_int16.ts): two channels per pass over a window (the
 * portable loop walks the window once per channel), an odd last channel alone.
 *  - MAX, Arm DSP: one word load and SSUB16 + SEL (tf_smax16) per tap for both lanes, the fused
 *    activation's clamp as two more lane maxima / a minimum per output pair;
 *  - MAX, Armv6-M / RV32: two halfword loads and compares per tap;
 *  - AVERAGE: two int32 sums per tap, then TFLite's rounding-half-away division; only for windows whose
 *    sum cannot leave int32 (poolSumView: fewer than 2^16 taps), the others keep the portable kernel,
 *    which wraps as TFLite Micro does.
 *    Where no window is clipped by the image (VALID-like geometry) the tap count is a compile-time
 *    constant, so powers of two (2x2, 4x4 windows) divide by shifts and others by the compiler's
 *    constant division; clipped windows divide by their count at run time.
 */
import type { KernelVariant, LayerEmitContext } from '../../op.ts';
import { type PoolParams, poolSumView } from './pool.ts';
import type { PoolInt16Params } from './pool_int16.ts';

type Family = 'arm-dsp' | 'armv6m' | 'rv32';
type Kind = 'avg' | 'max';

/** Whether every window lies inside the image (no padding reaches it): the count is then filterH * filterW. */
function windowsInside(p: PoolParams): boolean {
  return p.padTop === 0 && p.padLeft === 0 && (p.outH - 1) * p.strideH + p.filterH <= p.inH && (p.outW - 1) * p.strideW + p.filterW <= p.inW;
}

function emit(kind: Kind, family: Family, p: PoolParams, ctx: LayerEmitContext): string {
  const d = p.depth;
  const row = p.inW * d;
  const fixed = windowsInside(p);
  const count = fixed ? String(p.filterH * p.filterW) : 'count';
  const lo = p.actMin,
    hi = p.actMax;
  // a maximum or an average of int16 values is an int16: only a fused activation's narrower range clamps
  const clamp = (v: string) =>
    lo <= -32768 && hi >= 32767
      ? v
      : lo <= -32768
        ? `(${v} > ${hi} ? ${hi} : ${v})`
        : hi >= 32767
          ? `(${v} < ${lo} ? ${lo} : ${v})`
          : `(${v} < ${lo} ? ${lo} : (${v} > ${hi} ? ${hi} : ${v}))`;
  const divide = (v: string) => `(${v} > 0 ? (${v} + ${count} / 2) / ${count} : (${v} - ${count} / 2) / ${count})`;
  // fixed windows: constant trip counts (the compiler unrolls small windows) from the window's corner
  const taps = (body: string) =>
    fixed
      ? `        for (y = 0; y < ${p.filterH}; ++y) {\n` +
        `          const int16_t *p = corner + y * ${row} + c;\n` +
        `          for (x = 0; x < ${p.filterW}; ++x, p += ${d}) {\n${body}` +
        `          }\n` +
        `        }\n`
      : `        for (y = y0; y < y1; ++y) {\n` +
        `          const int16_t *p = image + y * ${row} + x0 * ${d} + c;\n` +
        `          for (x = x0; x < x1; ++x, p += ${d}) {\n${body}` +
        `          }\n` +
        `        }\n`;
  let pair: string;
  let single: string;
  if (kind === 'max') {
    single = `        int32_t m = -32768;\n` + taps(`            if (p[0] > m) m = p[0];\n`) + `        out[c] = (int16_t)${clamp('m')};\n`;
    if (family === 'arm-dsp') {
      const bounds = lo > -32768 || hi < 32767;
      pair =
        `        uint32_t m = 0x80008000u; /* -32768 in both lanes */\n` +
        taps(`            m = tf_smax16(m, TF_LOAD32(p));\n`) +
        (bounds
          ? `        m = tf_smax16(m, ${(((lo & 0xffff) << 16) | (lo & 0xffff)) >>> 0}u);\n        m = ~tf_smax16(~m, ${(((~hi & 0xffff) << 16) | (~hi & 0xffff)) >>> 0}u);\n`
          : '') +
        `        out[c] = (int16_t)(m & 0xffffu);\n        out[c + 1] = (int16_t)(m >> 16);\n`;
    } else {
      pair =
        `        int32_t m0 = -32768, m1 = -32768;\n` +
        taps(`            const int32_t v0 = p[0], v1 = p[1];\n            if (v0 > m0) m0 = v0;\n            if (v1 > m1) m1 = v1;\n`) +
        `        out[c] = (int16_t)${clamp('m0')};\n        out[c + 1] = (int16_t)${clamp('m1')};\n`;
    }
  } else {
    single = `        int32_t s = 0;\n` + taps(`            s += p[0];\n`) + `        s = ${divide('s')};\n        out[c] = (int16_t)${clamp('s')};\n`;
    pair =
      `        int32_t s0 = 0, s1 = 0;\n` +
      taps(`            s0 += p[0];\n            s1 += p[1];\n`) +
      `        s0 = ${divide('s0')};\n        s1 = ${divide('s1')};\n` +
      `        out[c] = (int16_t)${clamp('s0')};\n        out[c + 1] = (int16_t)${clamp('s1')};\n`;
  }
  const op = kind === 'avg' ? 'AVERAGE_POOL_2D' : 'MAX_POOL_2D';
  const how =
    kind === 'max' && family === 'arm-dsp'
      ? 'Arm DSP: SSUB16/SEL, two channels per word'
      : `${family}: two channels per window pass${fixed && kind === 'avg' ? ', constant tap count' : ''}`;
  return `/* ${op} 16x8 [${p.batches}x${p.inH}x${p.inW}x${d}] -> [${p.batches}x${p.outH}x${p.outW}x${d}], filter ${p.filterH}x${p.filterW}, stride ${p.strideH}x${p.strideW} (${how}) */
static void ${ctx.fnName}(void) {
  const int16_t *in = ${ctx.input(0)};
  int16_t *out = ${ctx.output(0)};
  int b, oy, ox, c, y, x;
  for (b = 0; b < ${p.batches}; ++b) {
    const int16_t *image = in + b * ${p.inH * row};
    for (oy = 0; oy < ${p.outH}; ++oy) {
      const int origin_y = oy * ${p.strideH} - ${p.padTop};
${
  fixed
    ? ''
    : `      const int y0 = origin_y > 0 ? origin_y : 0;
      const int y1 = origin_y + ${p.filterH} < ${p.inH} ? origin_y + ${p.filterH} : ${p.inH};
`
}
      for (ox = 0; ox < ${p.outW}; ++ox, out += ${d}) {
        const int origin_x = ox * ${p.strideW} - ${p.padLeft};
${
  fixed
    ? ''
    : `        const int x0 = origin_x > 0 ? origin_x : 0;
        const int x1 = origin_x + ${p.filterW} < ${p.inW} ? origin_x + ${p.filterW} : ${p.inW};
`
}${fixed ? `        const int16_t *corner = image + origin_y * ${row} + origin_x * ${d};\n` : ''}${kind === 'avg' && !fixed ? '        const int32_t count = (int32_t)((y1 - y0) * (x1 - x0));\n' : ''}        for (c = 0; c + 1 < ${d}; c += 2) {
${pair}        }
${d % 2 === 1 ? `        {\n        c = ${d - 1};\n${single}        }\n` : ''}      }
    }
  }
}
`;
}

export function poolInt16Variants(kind: Kind): KernelVariant<PoolInt16Params>[] {
  return (['arm-dsp', 'armv6m', 'rv32'] as const).map((family) => ({
    name: `${family} int16`,
    family,
    applies: (p: PoolInt16Params) => kind === 'max' || !poolSumView(p, 16).sumMayWrap,
    emit: (p: PoolInt16Params, ctx: LayerEmitContext) => emit(kind, family, p, ctx),
  }));
}
