// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type FrameCase, expectFramesAgree } from '../../../../test/helpers/frame_checks.ts';
import { rng } from '../../../../test/helpers/op_harness.ts';
import { roundedSquareRoot } from './index.ts';

const ISAS = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];

function sqrtGraph(name: string, channels: number) {
  const b = new GraphBuilder(name);
  const x = b.input({ shape: [channels], dtype: 'uint64' });
  const bits = b.input({ shape: [], dtype: 'int32' });
  const [y] = b.op('CUSTOM:SignalFilterBankSquareRoot', [x, bits], [{ shape: [channels], dtype: 'uint32' }]);
  b.output(y!);
  return b.build();
}

const random64 = (rand: () => number, bits: number): bigint =>
  BigInt.asUintN(bits, (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32)));

/** Values around every power of two and every square's midpoint, full scale, zero and random widths. */
function values(rand: () => number, n: number): BigUint64Array[] {
  const edges: bigint[] = [
    0n,
    1n,
    2n,
    3n,
    0xffffffffn,
    0x100000000n,
    0xfffe0001n,
    0xffff0000n,
    0xffff0001n,
    (1n << 64n) - 1n,
    0xfffffffe00000001n,
    0xffffffff00000000n,
  ];
  for (let b = 1n; b < 64n; b++) edges.push((1n << b) - 1n, 1n << b, (1n << b) + 1n);
  for (let r = 3n; r < 1n << 32n; r = r * 7n + 5n) edges.push(r * r + r, r * r + r + 1n);
  const out: BigUint64Array[] = [];
  for (let at = 0; at < edges.length; at += n) out.push(BigUint64Array.from({ length: n }, (_, i) => edges[(at + i) % edges.length]!));
  for (let f = 0; f < 4; f++) {
    out.push(BigUint64Array.from({ length: n }, (_, i) => random64(rand, 1 + ((i * 7 + f) % 64))));
    // squares of random roots and their neighbours, where a root estimate off by one shows
    out.push(
      BigUint64Array.from({ length: n }, (_, i) => {
        const root = random64(rand, 1 + ((i * 5 + f) % 32));
        return BigInt.asUintN(64, root * root + BigInt((i % 3) - 1) + (i % 4 === 3 ? root : 0n));
      }),
    );
  }
  return out;
}

describe('SignalFilterBankSquareRoot', () => {
  it('rounds to nearest and stops at the type as TFLite Micro (hand-checked)', () => {
    expect(roundedSquareRoot(0n)).to.equal(0);
    expect(roundedSquareRoot(2n)).to.equal(1);
    expect(roundedSquareRoot(3n)).to.equal(2);
    expect(roundedSquareRoot(12n)).to.equal(3);
    expect(roundedSquareRoot(13n)).to.equal(4);
    expect(roundedSquareRoot(0xffffffffn)).to.equal(0xffff); // would round to 65536
    expect(roundedSquareRoot(0x100000000n)).to.equal(0x10000);
    expect(roundedSquareRoot((1n << 64n) - 1n)).to.equal(0xffffffff);
  });

  it('equals TFLite Micro and its C equals the reference on 8 cases of edges and random energies (every kernel family)', () => {
    const cases: FrameCase[] = [40, 7].flatMap((n, s) =>
      ISAS.map((isa, k) => {
        const rand = rng(50 + 4 * s + k);
        const frames = values(rand, n).map((v, j) => [new Uint8Array(v.buffer), new Uint8Array(Int32Array.of((j * 5 + k) % 32).buffer)]);
        return { name: `SignalFilterBankSquareRoot ${n} channels`, graph: sqrtGraph(`sqrt${s}_${k}`, n), frames, isa };
      }),
    );
    expectFramesAgree(cases);
  });
});
