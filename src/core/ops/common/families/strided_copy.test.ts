// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { applyCopy, denseStrides, isWholeCopy, renderCopy, stridedCopy } from './strided_copy.ts';
import { randomInt, rng } from '../../../../../test/helpers/op_harness.ts';

describe("strided copy (the data-movement ops' shared primitive)", () => {
  it('drops unit loops and merges loops that continue each other', () => {
    expect(denseStrides([2, 3, 4])).to.deep.equal([12, 4, 1]);
    expect(stridedCopy([2, 3, 4], [12, 4, 1], [12, 4, 1]).loops).to.deep.equal([{ extent: 24, src: 1, dst: 1 }]);
    expect(stridedCopy([1, 3, 1, 4], [99, 4, 7, 1], [12, 4, 4, 1]).loops).to.deep.equal([{ extent: 12, src: 1, dst: 1 }]);
    // rows of 4 out of rows of 6: one loop of rows, one contiguous run
    expect(stridedCopy([3, 4], [6, 1], [4, 1], 1).loops).to.deep.equal([
      { extent: 3, src: 6, dst: 4 },
      { extent: 4, src: 1, dst: 1 },
    ]);
    expect(stridedCopy([2, 0, 3], [1, 1, 1], [1, 1, 1]).count).to.equal(0);
    expect(isWholeCopy(stridedCopy([2, 3], [3, 1], [3, 1]), 6)).to.equal(true);
    expect(isWholeCopy(stridedCopy([2, 3], [3, 1], [3, 1], 1), 6)).to.equal(false);
  });

  it('merged loops copy exactly what the unmerged nest copies (random shapes, strides, offsets)', () => {
    const rand = rng(77);
    for (let k = 0; k < 200; k++) {
      const rank = randomInt(rand, 1, 5);
      const extents = Array.from({ length: rank }, () => randomInt(rand, 1, 4));
      // a source laid out densely with some padding, walked in a random (possibly reversed) order
      const srcShape = extents.map((e) => e + randomInt(rand, 0, 2));
      const dense = denseStrides(srcShape);
      const order = extents.map((_, i) => i).sort(() => rand() - 0.5);
      const srcStrides = order.map((o) => dense[o]!);
      const walked = order.map((o) => extents[o]!);
      const dstStrides = denseStrides(walked);
      const src = Int16Array.from({ length: srcShape.reduce((a, b) => a * b, 1) }, (_, i) => i);
      const expected = new Int16Array(walked.reduce((a, b) => a * b, 1)).fill(-1);
      const unmerged = {
        loops: walked.map((extent, i) => ({ extent, src: srcStrides[i]!, dst: dstStrides[i]! })),
        srcOffset: 0,
        dstOffset: 0,
        count: expected.length,
      };
      applyCopy(unmerged, src, expected);
      const actual = new Int16Array(expected.length).fill(-1);
      applyCopy(stridedCopy(walked, srcStrides, dstStrides), src, actual);
      expect(Array.from(actual), `case ${k}`).to.deep.equal(Array.from(expected));
    }
  });

  it('renders a contiguous innermost run as memcpy and negative strides in parentheses', () => {
    const rows = renderCopy(stridedCopy([3, 4], [6, 1], [4, 1], 1), 'int8_t', 'IN', 'OUT');
    expect(rows).to.match(/for \(i0 = 0; i0 < 3; \+\+i0\) \{\n\s+memcpy\(dst \+ i0 \* 4, src \+ i0 \* 6, 4 \* sizeof\(int8_t\)\);/);
    const reversed = renderCopy(stridedCopy([5], [-2], [1], 8), 'int16_t', 'IN', 'OUT');
    expect(reversed).to.match(/const int16_t \*src = IN \+ 8;/);
    expect(reversed).to.match(/dst\[i0\] = src\[i0 \* \(-2\)\];/);
    expect(renderCopy(stridedCopy([0], [1], [1]), 'int8_t', 'IN', 'OUT')).to.match(/nothing to copy/);
  });
});
