// SPDX-License-Identifier: Apache-2.0
/** The narrowed requantization tables of weighted.ts: shifts and start values stored in the narrowest C type they fit. */
import { expect } from 'chai';
import { type TableCType, foldedAccumulatorInit, foldedInitExpr, narrowestIntType, requantExprs } from './weighted.ts';

/** An addConst that records what it was asked to store. */
function recorder() {
  const tables: { suffix: string; ctype: TableCType; values: number[] }[] = [];
  const addConst = (suffix: string, ctype: TableCType, values: ArrayLike<number>) => {
    tables.push({ suffix, ctype, values: Array.from(values) });
    return `t_${suffix}`;
  };
  return { tables, addConst };
}

describe('weighted.ts: narrowed requantization tables', () => {
  it('narrowestIntType: int8 up to [-128, 127], int16 up to [-32768, 32767], else int32', () => {
    expect(narrowestIntType([-128, 0, 127])).to.equal('int8_t');
    expect(narrowestIntType([128])).to.equal('int16_t');
    expect(narrowestIntType([-129])).to.equal('int16_t');
    expect(narrowestIntType([-32768, 32767])).to.equal('int16_t');
    expect(narrowestIntType([32768])).to.equal('int32_t');
    expect(narrowestIntType([-32769])).to.equal('int32_t');
    expect(narrowestIntType([])).to.equal('int8_t');
  });

  it('per-channel shifts are an int8_t table, multipliers int32_t; uniform ones are literals', () => {
    const { tables, addConst } = recorder();
    const exprs = requantExprs({ multiplier: [1 << 30, 1 << 29], shift: [-9, -31] }, 'c', addConst);
    expect(exprs).to.deep.equal({ mult: 't_mult[c]', shift: 't_shift[c]' });
    expect(tables.map((t) => [t.suffix, t.ctype])).to.deep.equal([
      ['mult', 'int32_t'],
      ['shift', 'int8_t'],
    ]);
    const uniform = recorder();
    expect(requantExprs({ multiplier: [7, 7], shift: [-3, -3] }, 'c', uniform.addConst)).to.deep.equal({ mult: '7', shift: '-3' });
    expect(uniform.tables).to.deep.equal([]);
  });

  it('folded start values: the narrowest table holding off·Σw + b exactly; the int32 bias tensor only when it needs 32 bits', () => {
    const weights = Int8Array.from([7, -7, 7, 1, 1, 1]);
    const bias = Int32Array.from([1000, -2000]);
    const folded = recorder();
    expect(
      foldedInitExpr({ weights, rows: 2, rowLength: 3, inputOffset: 128, bias, biasPointer: () => 'bias_tensor', addConst: folded.addConst, rowVar: 'r' }),
    ).to.equal('t_acc_init[r]');
    expect(folded.tables).to.deep.equal([{ suffix: 'acc_init', ctype: 'int16_t', values: Array.from(foldedAccumulatorInit(weights, 2, 3, 128, bias)) }]);
    expect(folded.tables[0]!.values).to.deep.equal([7 * 128 + 1000, 3 * 128 - 2000]);

    const small = recorder();
    expect(
      foldedInitExpr({
        weights,
        rows: 2,
        rowLength: 3,
        inputOffset: 0,
        bias: Int32Array.from([5, -6]),
        biasPointer: () => 'bias_tensor',
        addConst: small.addConst,
        rowVar: 'r',
      }),
    ).to.equal('t_bias[r]');
    expect(small.tables).to.deep.equal([{ suffix: 'bias', ctype: 'int8_t', values: [5, -6] }]);

    const wide = recorder();
    expect(
      foldedInitExpr({
        weights,
        rows: 2,
        rowLength: 3,
        inputOffset: 0,
        bias: Int32Array.from([1 << 20, 0]),
        biasPointer: () => 'bias_tensor',
        addConst: wide.addConst,
        rowVar: 'r',
      }),
    ).to.equal('bias_tensor[r]');
    expect(wide.tables).to.deep.equal([]);
    expect(
      foldedInitExpr({
        weights,
        rows: 2,
        rowLength: 3,
        inputOffset: 0,
        bias: undefined,
        biasPointer: () => 'bias_tensor',
        addConst: wide.addConst,
        rowVar: 'r',
      }),
    ).to.equal('0');
  });
});
