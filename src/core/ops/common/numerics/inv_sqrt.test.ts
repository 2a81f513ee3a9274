// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { invSqrtQuantizedMultiplierExp } from './inv_sqrt.ts';
import { compileAndRun, rng } from '../../../../../test/helpers/op_harness.ts';

describe('inverse square root multiplier (GetInvSqrtQuantizedMultiplierExp)', () => {
  it('is 1/sqrt(x) to within 2e-6 relative, from 2 to 2^31 - 1', () => {
    for (let x = 2; x < 2 ** 31; x = Math.floor(x * 1.37) + 1) {
      const { multiplier, shift } = invSqrtQuantizedMultiplierExp(x, -1);
      const value = (multiplier / 2 ** 31) * 2 ** shift;
      expect(Math.abs(value * Math.sqrt(x) - 1), `x = ${x}`).to.be.below(2e-6);
    }
  });

  it('treats 0 and 1 as 1 (largest multiplier, no shift)', () => {
    expect(invSqrtQuantizedMultiplierExp(0, -1)).to.deep.equal({ multiplier: 2147483647, shift: 0 });
    expect(invSqrtQuantizedMultiplierExp(1, -1)).to.deep.equal({ multiplier: 2147483647, shift: 0 });
  });

  it('inv_sqrt.h agrees with inv_sqrt.ts bit for bit', () => {
    const rand = rng(7);
    const inputs = [0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 63, 64, 65, 1 << 26, (1 << 27) - 1, 1 << 27, (1 << 29) - 1, 1 << 29, 2147483647];
    for (let i = 0; i < 300; i++) inputs.push(Math.floor(rand() ** 4 * 2147483647));
    const dir = import.meta.dirname;
    const headers = readdirSync(dir)
      .filter((f) => f.endsWith('.h'))
      .sort();
    const program = [
      '#include <stdint.h>',
      '#include <stdio.h>',
      ...headers.map((h) => `#include "${join(dir, h)}"`),
      `static const int32_t inputs[] = { ${inputs.join(', ')} };`,
      'int main(void) {',
      '  unsigned i;',
      '  for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {',
      '    int32_t m; int s;',
      '    tf_inv_sqrt_quantized_multiplier_exp(inputs[i], -1, &m, &s);',
      '    printf("%ld %d\\n", (long)m, s);',
      '  }',
      '  return 0;',
      '}',
    ].join('\n');
    const lines = Buffer.from(compileAndRun(program)).toString().trim().split('\n');
    expect(lines.length).to.equal(inputs.length);
    inputs.forEach((x, i) => {
      const { multiplier, shift } = invSqrtQuantizedMultiplierExp(x, -1);
      expect(lines[i], `x = ${x}`).to.equal(`${multiplier} ${shift}`);
    });
  });
});
