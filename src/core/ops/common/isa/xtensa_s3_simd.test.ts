// SPDX-License-Identifier: Apache-2.0
/**
 * xtensa_s3_simd.h's functional model, instruction by instruction (the semantics its comment cites
 * from the ESP32-S3 TRM), and xtensa_s3_dot.h's dot product against a plain sum over every block
 * count the pipelined loop distinguishes. On an S3 compiler, the same header gives the instructions
 * themselves: test/build/s3simd_asm.test.ts. xtensa_s3_pie.test.ts checks the model against
 * Espressif's QEMU, which executes the instructions.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileAndRun } from '../../../../../test/helpers/op_harness.ts';

const files = ['xtensa_s3_simd.h', 'xtensa_s3_dot.h'].map((name) => ({
  name,
  path: `common/isa/${name}`,
  text: readFileSync(join(import.meta.dirname, name), 'utf8'),
}));

function run(body: string): number[] {
  const program = [
    '#include <stdint.h>',
    '#include <stdio.h>',
    '#include "xtensa_s3_dot.h"',
    'static void put(int32_t v) { fwrite(&v, 4, 1, stdout); }',
    'int main(void) {',
    body,
    '  return 0;',
    '}',
  ].join('\n');
  const out = compileAndRun(program, files);
  return Array.from(new Int32Array(out.buffer, out.byteOffset, out.byteLength / 4));
}

describe('ESP32-S3 SIMD functional model (xtensa_s3_simd.h)', () => {
  it('EE.VLD.128.IP reads the aligned 16-byte block holding the address and advances it by the step', () => {
    const got = run(`
  static int8_t bytes[48] __attribute__((aligned(16)));
  for (int i = 0; i < 48; ++i) bytes[i] = (int8_t)i;
  const int8_t *p = bytes + 5; /* the low four bits are ignored: the block at 0 */
  TF_S3_VLD_128_IP(q4, p, 16);
  put((int32_t)(p - bytes));
  put(tf_s3_state()->q[4][0]);
  put(tf_s3_state()->q[4][15]);
  TF_S3_VLD_128_IP(q5, p, -16); /* from bytes + 21: the block at 16 */
  put((int32_t)(p - bytes));
  put(tf_s3_state()->q[5][0]);`);
    expect(got).to.deep.equal([21, 0, 15, 5, 16]);
  });

  it('EE.VMULAS.S8.ACCX adds the 16 signed products to ACCX; RUR.ACCX_0 reads its low 32 bits', () => {
    const got = run(`
  static int8_t a[16] __attribute__((aligned(16)));
  static int8_t b[16] __attribute__((aligned(16)));
  for (int i = 0; i < 16; ++i) { a[i] = (int8_t)(i % 2 ? -128 : 127); b[i] = (int8_t)(i < 8 ? -128 : 3); }
  const int8_t *pa = a, *pb = b;
  int32_t low;
  TF_S3_ZERO_ACCX();
  TF_S3_VLD_128_IP(q0, pa, 0);
  TF_S3_VLD_128_IP(q7, pb, 0);
  TF_S3_VMULAS_S8_ACCX(q0, q7);
  TF_S3_VMULAS_S8_ACCX(q0, q7);
  TF_S3_RUR_ACCX_0(low);
  put(low);
  /* 40 bits: a sum past 2^31 keeps its high bits in ACCX, RUR.ACCX_0 shows the low word; a sum
     beyond the 40 bits saturates */
  tf_s3_state()->accx = ((int64_t)1 << 39) - 1000;
  TF_S3_VMULAS_S8_ACCX(q0, q7);
  put((int32_t)(tf_s3_state()->accx >> 32));
  TF_S3_RUR_ACCX_0(low);
  put(low);
  TF_S3_VMULAS_S8_ACCX(q0, q7);
  put((int32_t)(tf_s3_state()->accx >> 32));
  TF_S3_RUR_ACCX_0(low);
  put(low);`);
    // per pass, lanes 0-7: 4 x 127 x -128 + 4 x -128 x -128 = 512; lanes 8-15: 4 x 127 x 3 + 4 x -128 x 3 = -12
    expect(got[0]).to.equal(2 * (4 * 127 * -128 + 4 * -128 * -128 + 4 * 127 * 3 + 4 * -128 * 3));
    // 2^39 - 1000 + 500: bits 39..32 are 0x7f, the low word 0xffffffff - 499; + 500 more saturates at 2^39 - 1
    expect(got.slice(1)).to.deep.equal([0x7f, -500, 0x7f, -1]);
  });

  it('EE.VMULAS.S8.ACCX.LD.IP multiplies the old registers, then loads', () => {
    const got = run(`
  static int8_t a[32] __attribute__((aligned(16)));
  for (int i = 0; i < 32; ++i) a[i] = (int8_t)(i < 16 ? 2 : 5);
  const int8_t *p = a;
  int32_t low;
  TF_S3_ZERO_ACCX();
  TF_S3_VLD_128_IP(q1, p, 16);
  TF_S3_VMULAS_S8_ACCX_LD_IP(q1, p, 16, q1, q1); /* 16 x 2 x 2, then q1 = 5s */
  TF_S3_VMULAS_S8_ACCX(q1, q1); /* 16 x 5 x 5 */
  TF_S3_RUR_ACCX_0(low);
  put(low);`);
    expect(got).to.deep.equal([16 * 4 + 16 * 25]);
  });

  it('EE.VMULAS.S8.QACC adds lane by lane into 20-bit lanes; EE.ZERO.QACC clears them', () => {
    const got = run(`
  static int8_t a[16] __attribute__((aligned(16)));
  static int8_t b[16] __attribute__((aligned(16)));
  for (int i = 0; i < 16; ++i) { a[i] = (int8_t)(i % 2 ? -128 : 127); b[i] = (int8_t)(i < 8 ? -128 : i); }
  const int8_t *pa = a, *pb = b;
  TF_S3_ZERO_QACC();
  TF_S3_VLD_128_IP(q2, pa, 0);
  TF_S3_VLD_128_IP(q6, pb, 0);
  TF_S3_VMULAS_S8_QACC(q2, q6);
  TF_S3_VMULAS_S8_QACC(q2, q6);
  for (int i = 0; i < 16; ++i) put(tf_s3_state()->qacc[i]);
  /* 32 products of -128 x -128 = 2^19: one past the lane, which saturates */
  TF_S3_ZERO_QACC();
  TF_S3_VLD_128_IP(q2, pb, 0);
  for (int i = 0; i < 32; ++i) TF_S3_VMULAS_S8_QACC(q2, q2);
  put(tf_s3_state()->qacc[0]);
  TF_S3_ZERO_QACC();
  put(tf_s3_state()->qacc[15]);`);
    const a = (i: number) => (i % 2 ? -128 : 127);
    const b = (i: number) => (i < 8 ? -128 : i);
    expect(got.slice(0, 16)).to.deep.equal(Array.from({ length: 16 }, (_, i) => 2 * a(i) * b(i)));
    expect(got.slice(16)).to.deep.equal([2 ** 19 - 1, 0]);
  });

  it('EE.ST.QACC_{L,H}.{L.128,H.32}.IP store each half as 20 little-endian bytes; tf_s3_qacc_s8_lanes reads the 16 lanes back', () => {
    const got = run(`
  static int8_t raw[64] __attribute__((aligned(16)));
  int32_t lanes[16];
  for (int i = 0; i < 16; ++i) tf_s3_state()->qacc[i] = (i % 2 ? -1 : 1) * (i * 32749 % 524288);
  tf_s3_state()->qacc[3] = -524288;
  tf_s3_state()->qacc[12] = 524287;
  /* lane 1 of QACC_L alone: bits 39..20, so bytes 2 (high nibble) to 4 */
  int8_t *p = raw + 3; /* the low four bits are ignored */
  tf_s3_qacc_s8_lanes(lanes, raw);
  for (int i = 0; i < 16; ++i) put(lanes[i]);
  memset(raw, 0, sizeof raw);
  for (int i = 0; i < 16; ++i) tf_s3_state()->qacc[i] = i == 1 ? 0xABCDE - 0x100000 : 0;
  TF_S3_ST_QACC_L_L_128_IP(p, 16);
  put((int32_t)(p - raw));
  put((uint8_t)raw[2]);
  put((uint8_t)raw[3]);
  put((uint8_t)raw[4]);
  put((uint8_t)raw[5]);`);
    const want = Array.from({ length: 16 }, (_, i) => (i % 2 ? -1 : 1) * ((i * 32749) % 524288));
    want[3] = -524288;
    want[12] = 524287;
    expect(got.slice(0, 16)).to.deep.equal(want);
    // 0xABCDE at bit 20: byte 2 = 0xE0, byte 3 = 0xCD, byte 4 = 0xAB, byte 5 untouched
    expect(got.slice(16)).to.deep.equal([19, 0xe0, 0xcd, 0xab, 0]);
  });

  it('tf_s3_dot_s8 sums every product of 1 to 9 blocks (the pipelined loop, both tails)', () => {
    const got = run(`
  static int8_t x[144] __attribute__((aligned(16)));
  static int8_t w[144] __attribute__((aligned(16)));
  uint32_t seed = 7;
  for (int i = 0; i < 144; ++i) {
    seed = seed * 1103515245u + 12345u;
    x[i] = (int8_t)(seed >> 24);
    seed = seed * 1103515245u + 12345u;
    w[i] = (int8_t)(seed >> 24);
  }
  for (int blocks = 1; blocks <= 9; ++blocks) {
    int32_t want = 0;
    for (int i = 0; i < blocks * 16; ++i) want += x[i] * w[i];
    put(tf_s3_dot_s8(x, w, blocks) - want);
  }`);
    expect(got).to.deep.equal(new Array(9).fill(0));
  });

  it('tf_s3_srdhm, from the product halves, is (acc m + 2^30) >> 31 for edge and random accumulators and multipliers >= 0', () => {
    const got = run(`
  static const int32_t edges[] = {0, 1, -1, 2, -2, 3, 1 << 15, -(1 << 15), 1 << 30, -(1 << 30), (1 << 30) + 1, -(1 << 30) - 1,
                                  2147483647, -2147483647, (-2147483647 - 1), 1518500250, -1518500250, 12345, -12345};
  static const int32_t ms[] = {0, 1, 2, 3, 1 << 29, 1 << 30, (1 << 30) + 1, 1518500250, 2147483646, 2147483647};
  int32_t wrong = 0, checked = 0;
  uint32_t seed = 1;
  for (int k = 0; k < (int)(sizeof edges / sizeof edges[0]) + 200000; ++k) {
    int32_t acc;
    if (k < (int)(sizeof edges / sizeof edges[0])) acc = edges[k];
    else { seed = seed * 1664525u + 1013904223u; acc = (int32_t)seed >> (seed % 24); }
    for (int j = 0; j < (int)(sizeof ms / sizeof ms[0]) + 4; ++j) {
      int32_t m;
      if (j < (int)(sizeof ms / sizeof ms[0])) m = ms[j];
      else { seed = seed * 1664525u + 1013904223u; m = (int32_t)(seed >> 1); }
      const int32_t want = (int32_t)(((int64_t)acc * m + ((int64_t)1 << 30)) >> 31);
      if (tf_s3_srdhm(acc, m) != want) wrong++;
      checked++;
    }
  }
  put(wrong);
  put(checked);`);
    expect(got[0], 'pairs that differ').to.equal(0);
    expect(got[1]).to.be.greaterThan(2_000_000);
  });

  it('tf_s3_requant_floor is TFLite MultiplyByQuantizedMultiplier + zero point wherever the output is above the zero point', () => {
    const got = run(`
  /* TFLite's reference arithmetic, written out as its kernels do it */
  int32_t wrong = 0, checked = 0;
  uint32_t seed = 5;
  for (int k = 0; k < 400000; ++k) {
    seed = seed * 1664525u + 1013904223u; const int e = 1 + (int)(seed % 20);
    seed = seed * 1664525u + 1013904223u; const int32_t m = (int32_t)((seed >> 1) | 0x40000000u);
    seed = seed * 1664525u + 1013904223u; const int32_t zp = (int32_t)(seed % 256) - 128;
    seed = seed * 1664525u + 1013904223u; const int32_t acc = (int32_t)seed >> (3 + seed % 20);
    seed = seed * 1664525u + 1013904223u; const int32_t start = (int32_t)seed >> (4 + seed % 24);
    const int32_t total = acc; const int32_t dot = total - start;
    const int64_t ab = (int64_t)total * m;
    const int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    const int32_t h = (int32_t)((ab + nudge) / ((int64_t)1 << 31));
    const int32_t mask = (int32_t)((1u << e) - 1), rem = h & mask, threshold = (mask >> 1) + (h < 0);
    int32_t want = (h >> e) + (rem > threshold) + zp;
    want = want < zp ? zp : want;
    const int32_t add = 1 + (int32_t)(1u << e) + zp * (int32_t)(1u << (e + 1));
    int32_t have = tf_s3_requant_floor(dot, 4 * start, m, add, e + 1);
    have = have < zp ? zp : have;
    if (have != want) wrong++;
    checked++;
  }
  put(wrong);
  put(checked);`);
    expect(got[0], 'accumulators that differ').to.equal(0);
    expect(got[1]).to.equal(400000);
  });
});
