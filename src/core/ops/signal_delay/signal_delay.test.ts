// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { encodeCustomOptions } from '../../model/tflite/custom_options.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type FrameCase, expectFramesAgree, referenceOverFrames } from '../../../../test/helpers/frame_checks.ts';
import { randomInt16, rng } from '../../../../test/helpers/op_harness.ts';

const ISAS = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];

function delayGraph(name: string, shape: number[], delay: number) {
  const b = new GraphBuilder(name);
  const x = b.input({ shape, dtype: 'int16' });
  const [y] = b.op('CUSTOM:SignalDelay', [x], [{ shape, dtype: 'int16' }], { customOptions: encodeCustomOptions({ delay_length: delay }) });
  b.output(y!);
  return b.build();
}

function delayCase(k: number, shape: number[], delay: number, frames: number): FrameCase {
  const rand = rng(700 + k);
  const n = shape.reduce((a, d) => a * d, 1);
  const sequence = Array.from({ length: frames }, (_, j) => {
    const kind = (j + k) % 4;
    const v =
      kind === 1
        ? new Int16Array(n).fill(j % 2 ? 32767 : -32768)
        : kind === 2
          ? Int16Array.from({ length: n }, (_, i) => (i % 2 ? 32767 : -32768))
          : randomInt16(rand, n);
    return [new Uint8Array(v.buffer)];
  });
  return { name: `SignalDelay [${shape.join(',')}] by ${delay}`, graph: delayGraph(`delay${k}`, shape, delay), frames: sequence, isa: ISAS[k % ISAS.length] };
}

describe('SignalDelay', () => {
  it('delays each row across invocations as TFLite Micro (hand-checked: rows of 3 by 5)', () => {
    const frames = [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ].map((v) => [new Uint8Array(Int16Array.from(v).buffer)]);
    const out = referenceOverFrames({ name: 'hand', graph: delayGraph('hand', [3], 5), frames });
    expect(out.map(([y]) => [...new Int16Array(y!.buffer.slice(y!.byteOffset, y!.byteOffset + y!.byteLength))])).to.deep.equal([
      [0, 0, 0],
      [0, 0, 1],
      [2, 3, 4],
    ]);
  });

  it('equals TFLite Micro and its C equals the reference, frame after frame, on 12 cases (every kernel family)', () => {
    expectFramesAgree([
      delayCase(0, [3], 5, 4),
      delayCase(1, [5], 3, 4),
      delayCase(2, [4], 0, 3),
      delayCase(3, [4, 8], 8, 4),
      delayCase(4, [2, 7], 1, 5),
      delayCase(5, [320], 160, 4),
      delayCase(6, [40], 200, 7),
      delayCase(7, [3, 1, 6], 6, 3),
      delayCase(8, [1], 1, 4),
      delayCase(9, [1], 4, 6),
      delayCase(10, [2, 17], 16, 4),
      delayCase(11, [64], 64, 3),
    ]);
  });
});
