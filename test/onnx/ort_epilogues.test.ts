// SPDX-License-Identifier: Apache-2.0
/**
 * The families' epilogues for layers that must match ONNX Runtime (each declared, with its contract,
 * in its family's header) against ONNX Runtime's float32 steps: in C against requant_f32.h's
 * tf_requant_f32 over millions of random accumulators, multipliers, zero points and activation
 * ranges, and over the edge cases (ties at every scale, accumulators past 2^24, the int32 ends,
 * multipliers of every exponent); and a share of those cases against the TypeScript reference
 * (requant_f32.ts requantF32).
 */
import { expect } from 'chai';
import { compileAndRun, randomInt, rng } from '../helpers/op_harness.ts';
import { f32Bits, requantF32 } from '../../src/core/ops/common/numerics/requant_f32.ts';
import { f32 } from '../../src/core/ops/common/numerics/fixedpoint.ts';

interface Epilogue {
  name: string;
  /** the header that declares it (on the include path of the test build) */
  header: string;
  /** the C of one output: from `acc`, `bits` (the float32 multiplier's bits), `zp`, `lo`, `hi` */
  call: string;
  /** the declarations it needs before the call */
  setup?: string;
}

/** The float32 multiplier as requant_f32.ts ortIntegerMultiplier gives it: mantissa / 2^shift. */
const SIGNIFICAND = 'const uint32_t mantissa = ((uint32_t)bits & 0x7FFFFFu) | 0x800000u; const int shift = 150 - (int)(((uint32_t)bits >> 23) & 255u);';

const EPILOGUES: Epilogue[] = [
  {
    name: 'Arm DSP (tf_dsp_rq_ort)',
    header: 'dsp_requant.h',
    setup: 'const tf_rq_t rq = { .out_zp = zp, .act_min = lo, .act_max = hi };',
    call: 'tf_dsp_rq_ort(acc, bits, &rq)',
  },
  {
    name: 'integer arithmetic (requant_f32.h tf_requant_f32_int)',
    header: 'requant_f32.h',
    setup: SIGNIFICAND,
    call: 'tf_requant_f32_int(acc, mantissa, shift, zp, lo, hi)',
  },
  {
    name: 'Armv6-M (m0plus_rq.h tf_m0_rq_ort)',
    header: 'm0plus_rq.h',
    setup: `${SIGNIFICAND} const int32_t p = zp * 65536 + shift;`,
    call: 'tf_m0_rq_ort(acc, (int32_t)mantissa, p, lo, hi)',
  },
  {
    name: 'RV32 (rv32.h tf_rv32_rq_ort)',
    header: 'rv32.h',
    setup: SIGNIFICAND,
    call: 'tf_rv32_rq_ort(acc, (int32_t)mantissa, shift, zp, lo, hi)',
  },
];

/** A multiplier of about 2^e, its mantissa random, as float32. */
function multiplierNear(rand: () => number, e: number): number {
  return f32((1 + rand()) * 2 ** e);
}

/** Cases that sit on the steps' edges: exact halves, accumulators past 2^24 and at the int32 ends. */
function edgeCases(rand: () => number): number[][] {
  const cases: number[][] = [];
  const range = () => {
    const zp = randomInt(rand, -128, 127);
    const lo = rand() < 0.5 ? -128 : randomInt(rand, -128, 127);
    const hi = rand() < 0.5 ? 127 : randomInt(rand, lo, 127);
    return [zp, lo, hi];
  };
  for (let k = 1; k <= 30; k++) {
    // acc * 2^-k is an exact half: odd * 2^(k-1)
    for (let j = 0; j < 40; j++) {
      const odd = 2 * randomInt(rand, -300, 300) + 1;
      const acc = odd * 2 ** (k - 1);
      if (Math.abs(acc) < 2 ** 31) cases.push([acc, f32Bits(2 ** -k), ...range()]);
    }
  }
  // products within a float32 step of a half (the product's rounding may land on it): small
  // multipliers, so that consecutive accumulators step by less than the float32 spacing there
  for (let j = 0; j < 400; j++) {
    const m = multiplierNear(rand, randomInt(rand, -24, -14));
    const half = (randomInt(rand, -130, 130) + 0.5) * (rand() < 0.5 ? 1 : 2 ** -randomInt(rand, 1, 6));
    const centre = Math.round(half / m);
    for (let d = -24; d <= 24; d++) {
      const acc = centre + d;
      if (Math.abs(acc) < 2 ** 31) cases.push([acc, f32Bits(m), ...range()]);
    }
  }
  const accs = [0, 1, -1, 2 ** 24 - 1, 2 ** 24, 2 ** 24 + 1, 2 ** 24 + 3, -(2 ** 24) - 1, -(2 ** 24) - 3, 2 ** 31 - 1, -(2 ** 31), 2 ** 30 + 1, -(2 ** 30) - 1];
  for (const acc of accs) {
    for (let e = -40; e <= 8; e++) cases.push([acc, f32Bits(multiplierNear(rand, e)), ...range()], [acc, f32Bits(2 ** e), ...range()]);
  }
  return cases;
}

function randomCases(rand: () => number, count: number): number[][] {
  const cases: number[][] = [];
  for (let i = 0; i < count; i++) {
    const bitsOfAcc = randomInt(rand, 0, 31);
    const acc = Math.floor((rand() * 2 - 1) * 2 ** bitsOfAcc);
    const m = multiplierNear(rand, randomInt(rand, -34, 2));
    const zp = randomInt(rand, -128, 127);
    const lo = rand() < 0.5 ? -128 : randomInt(rand, -128, 127);
    const hi = rand() < 0.5 ? 127 : randomInt(rand, lo, 127);
    cases.push([acc, f32Bits(m), zp, lo, hi]);
  }
  return cases;
}

const C_INT = (v: number) => (v === -(2 ** 31) ? '(-2147483647 - 1)' : String(v));

/**
 * One program: the listed cases through `e`, written out as int8; then `randomCount` cases drawn in
 * C (xorshift) compared there with tf_requant_f32, the count of differences written last (4 bytes).
 */
function program(e: Epilogue, cases: number[][], randomCount: number): string {
  return [
    '#include <stdint.h>',
    '#include <stdio.h>',
    '#include "requant_f32.h"',
    `#include "${e.header}"`,
    `static const int32_t cases[][5] = {\n${cases.map((c) => `  { ${c.map(C_INT).join(', ')} },`).join('\n')}\n};`,
    `static int32_t epilogue(int32_t acc, int32_t bits, int32_t zp, int32_t lo, int32_t hi) {`,
    `  ${e.setup ?? ''}`,
    `  return ${e.call};`,
    '}',
    'static uint32_t state = 2463534242u;',
    'static uint32_t next(void) {',
    '  state ^= state << 13;',
    '  state ^= state >> 17;',
    '  state ^= state << 5;',
    '  return state;',
    '}',
    'int main(void) {',
    '  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {',
    '    const int32_t *c = cases[i];',
    '    const int8_t v = (int8_t)epilogue(c[0], c[1], c[2], c[3], c[4]);',
    '    fwrite(&v, 1, 1, stdout);',
    '  }',
    '  uint32_t differ = 0;',
    `  for (uint32_t i = 0; i < ${randomCount}u; i++) {`,
    '    const uint32_t r = next();',
    '    /* accumulators of every magnitude: a random word shifted right by 0..31 */',
    '    const int32_t acc = (int32_t)(next() >> 1 >> (r & 31)) * ((r & 32) ? -1 : 1);',
    '    /* multipliers 2^-40 .. 2^8, random mantissas; a third of them exact powers of two */',
    '    const uint32_t exponent = 87 + ((r >> 6) % 49);',
    '    const int32_t bits = (int32_t)(exponent << 23 | ((r >> 12) % 3 == 0 ? 0 : next() & 0x7FFFFF));',
    '    const int32_t zp = (int32_t)(next() & 255) - 128;',
    '    const int32_t a = (int32_t)(next() & 255) - 128, b = (int32_t)(next() & 255) - 128;',
    '    const int32_t lo = (r >> 20) & 1 ? -128 : (a < b ? a : b), hi = (r >> 21) & 1 ? 127 : (a < b ? b : a);',
    '    const float m = tf_f32_from_bits(bits);',
    '    if (epilogue(acc, bits, zp, lo, hi) != tf_requant_f32(acc, m, zp, lo, hi)) differ++;',
    '  }',
    '  fwrite(&differ, 4, 1, stdout);',
    '  return 0;',
    '}',
  ].join('\n');
}

describe("ONNX Runtime's requantization as the families' epilogues", function () {
  for (const e of EPILOGUES) {
    it(`${e.name} equals requant_f32 (edge cases, 4,000,000 random cases)`, () => {
      const rand = rng(71);
      const cases = [...edgeCases(rand), ...randomCases(rand, 20_000)];
      const out = compileAndRun(program(e, cases, 4_000_000));
      expect(out.length).to.equal(cases.length + 4);
      cases.forEach((c, i) => {
        const [acc, bits, zp, lo, hi] = c as [number, number, number, number, number];
        const m = new DataView(Int32Array.of(bits).buffer).getFloat32(0, true);
        const expected = requantF32(acc, m, zp, lo, hi);
        const got = (out[i]! << 24) >> 24;
        if (got !== expected) expect.fail(`acc ${acc}, multiplier ${m} (bits ${bits}), zp ${zp}, [${lo}, ${hi}]: ${got}, ONNX Runtime ${expected}`);
      });
      const differ = new DataView(out.buffer, out.byteOffset + cases.length, 4).getUint32(0, true);
      expect(differ, 'random cases that differ from tf_requant_f32').to.equal(0);
    });
  }
});
