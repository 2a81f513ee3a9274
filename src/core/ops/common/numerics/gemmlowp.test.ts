// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { INT32_MAX } from './fixedpoint.ts';
import { expOnNegativeValues, oneOverOnePlusXForXIn0To1, reciprocal, roundingHalfSum, srmulpot } from './gemmlowp.ts';
import { compileAndRun, rng } from '../../../../../test/helpers/op_harness.ts';

const Q31 = 2 ** 31;

describe('gemmlowp fixed-point (TS)', () => {
  it('exp on negative values is exp() to within 5e-7 over [-32, 0]', () => {
    for (let x = -32; x <= 0; x += 1 / 64) {
      const raw = Math.round(x * 2 ** 26);
      const got = expOnNegativeValues(raw, 5) / Q31;
      expect(Math.abs(got - Math.exp(raw / 2 ** 26)), `exp(${x})`).to.be.below(5e-7);
    }
  });

  it('exp(0) is the largest Q0.31 value (gemmlowp One)', () => {
    expect(expOnNegativeValues(0, 5)).to.equal(INT32_MAX);
  });

  it('1/(1+x) over [0, 1)', () => {
    for (let x = 0; x < 1; x += 1 / 256) {
      const got = oneOverOnePlusXForXIn0To1(Math.round(x * Q31)) / Q31;
      expect(Math.abs(got - 1 / (1 + x)), `x=${x}`).to.be.below(1e-8);
    }
  });

  it('reciprocal of a Q12.19 sum', () => {
    for (const sum of [1, 1.5, 2, 3.999, 17.25, 1000]) {
      const { value, numBitsOverUnit } = reciprocal(Math.round(sum * 2 ** 19), 12);
      expect(Math.abs((value / Q31) * 2 ** -numBitsOverUnit * sum - 1), `1/${sum}`).to.be.below(5e-7);
    }
  });

  it('saturating shifts and the rounding half sum', () => {
    expect(srmulpot(1 << 29, 2)).to.equal(INT32_MAX);
    expect(srmulpot(-(1 << 29) - 1, 2)).to.equal(-2147483648);
    expect(srmulpot(3, 2)).to.equal(12);
    expect(srmulpot(5, -1)).to.equal(3);
    expect(srmulpot(-5, -1)).to.equal(-3);
    expect(roundingHalfSum(3, 4)).to.equal(4);
    expect(roundingHalfSum(-3, -4)).to.equal(-4);
    expect(roundingHalfSum(INT32_MAX, INT32_MAX)).to.equal(INT32_MAX);
  });
});

describe('gemmlowp.h agrees with gemmlowp.ts', () => {
  it('on exp, 1/(1+x) and the reciprocal for random and edge inputs', () => {
    const rand = rng(7);
    const expIn = [0, -1, -(2 ** 24), -(2 ** 26), -(2 ** 31) + 1, -2147483648];
    for (let i = 0; i < 2000; i++) expIn.push(-Math.floor(rand() * 2 ** 31));
    const recipIn = [0, 1, 2 ** 30, INT32_MAX];
    for (let i = 0; i < 2000; i++) recipIn.push(Math.floor(rand() * 2 ** 31));
    const sums = [1, 2 ** 19, 2 ** 20 - 1, INT32_MAX];
    for (let i = 0; i < 2000; i++) sums.push(1 + Math.floor(rand() * (2 ** 31 - 1)));
    const dir = import.meta.dirname;
    const headers = readdirSync(dir)
      .filter((f) => f.endsWith('.h'))
      .sort();
    const arr = (name: string, v: number[]) =>
      `static const int32_t ${name}[${v.length}] = { ${v.map((x) => (x === -2147483648 ? '(-2147483647 - 1)' : String(x))).join(', ')} };`;
    const program = [
      '#include <stdint.h>',
      '#include <stdio.h>',
      ...headers.map((h) => `#include "${join(dir, h)}"`),
      arr('exp_in', expIn),
      arr('recip_in', recipIn),
      arr('sums', sums),
      'int main(void) {',
      '  unsigned i;',
      `  for (i = 0; i < ${expIn.length}u; ++i) { int32_t r = tf_exp_on_negative_values_q5_26(exp_in[i]); fwrite(&r, 4, 1, stdout); }`,
      `  for (i = 0; i < ${recipIn.length}u; ++i) { int32_t r = tf_one_over_one_plus_x_for_x_in_0_1(recip_in[i]); fwrite(&r, 4, 1, stdout); }`,
      `  for (i = 0; i < ${sums.length}u; ++i) { int n; int32_t r = tf_reciprocal(sums[i], 12, &n); fwrite(&r, 4, 1, stdout); fwrite(&n, 4, 1, stdout); }`,
      '  return 0;',
      '}',
    ].join('\n');
    const out = compileAndRun(program);
    const got = new Int32Array(out.buffer, out.byteOffset, out.byteLength / 4);
    let k = 0;
    expIn.forEach((x) => expect(got[k++], `exp(${x})`).to.equal(expOnNegativeValues(x, 5)));
    recipIn.forEach((x) => expect(got[k++], `1/(1+${x})`).to.equal(oneOverOnePlusXForXIn0To1(x)));
    sums.forEach((x) => {
      const r = reciprocal(x, 12);
      expect(got[k++], `reciprocal(${x})`).to.equal(r.value);
      expect(got[k++], `bits over unit of ${x}`).to.equal(r.numBitsOverUnit);
    });
  });
});
