// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { encodeCustomOptions } from '../../model/tflite/custom_options.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type FrameCase, referenceOverFrames } from '../../../../test/helpers/frame_checks.ts';
import { expectValidFramesAgree } from '../../../../test/helpers/valid_frames.ts';
import { randomInt16, rng } from '../../../../test/helpers/op_harness.ts';
import { compileGraph } from '../../compile.ts';

const ISAS = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];

function framerGraph(name: string, rows: number[], steps: number, frameSize: number, frameStep: number, prefill: boolean) {
  const b = new GraphBuilder(name);
  const x = b.input({ shape: [...rows, steps * frameStep], dtype: 'int16' });
  const [y, valid] = b.op(
    'CUSTOM:SignalFramer',
    [x],
    [
      { shape: [...rows, steps, frameSize], dtype: 'int16' },
      { shape: [], dtype: 'bool' },
    ],
    { customOptions: encodeCustomOptions({ frame_size: frameSize, frame_step: frameStep, prefill }) },
  );
  b.output(y!);
  b.output(valid!);
  return b.build();
}

/** Random samples, full-scale, zeros and alternating extremes, frame after frame. */
function samples(rand: () => number, n: number, k: number): Int16Array {
  switch (k % 4) {
    case 1:
      return new Int16Array(n).fill(k % 8 === 1 ? 32767 : -32768);
    case 2:
      return new Int16Array(n);
    case 3:
      return Int16Array.from({ length: n }, (_, i) => (i % 2 ? 32767 : -32768));
    default:
      return randomInt16(rand, n);
  }
}

function framerCase(k: number, rows: number[], steps: number, frameSize: number, frameStep: number, prefill: boolean, frames: number): FrameCase {
  const rand = rng(300 + k);
  const graph = framerGraph(`framer${k}`, rows, steps, frameSize, frameStep, prefill);
  const n = rows.reduce((a, d) => a * d, 1) * steps * frameStep;
  const sequence = Array.from({ length: frames }, (_, j) => [new Uint8Array(samples(rand, n, j + k).buffer)]);
  return {
    name: `SignalFramer [${rows.join(',')}${rows.length ? ',' : ''}${steps}x${frameStep}] -> ${frameSize}${prefill ? ' prefill' : ''}`,
    graph,
    frames: sequence,
    isa: ISAS[k % ISAS.length],
  };
}

describe('SignalFramer', () => {
  it('frames a stream as TFLite Micro (hand-checked: size 3, step 1, no prefill)', () => {
    const graph = framerGraph('hand', [], 1, 3, 1, false);
    const frames = [1, 2, 3, 4, 5].map((v) => [new Uint8Array(Int16Array.of(v).buffer)]);
    const out = referenceOverFrames({ name: 'hand', graph, frames });
    const values = out.map(([y, valid]) => [...new Int16Array(y!.buffer.slice(y!.byteOffset, y!.byteOffset + y!.byteLength))].concat(valid![0]!));
    expect(values).to.deep.equal([
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [1, 2, 3, 1],
      [2, 3, 4, 1],
      [3, 4, 5, 1],
    ]);
  });

  it('starts from frame_size - frame_step zeros with prefill (hand-checked: size 5, step 2)', () => {
    const graph = framerGraph('hand', [], 1, 5, 2, true);
    const frames = [
      [1, 2],
      [3, 4],
    ].map((v) => [new Uint8Array(Int16Array.from(v).buffer)]);
    const out = referenceOverFrames({ name: 'hand', graph, frames });
    const values = out.map(([y, valid]) => [...new Int16Array(y!.buffer.slice(y!.byteOffset, y!.byteOffset + y!.byteLength))].concat(valid![0]!));
    expect(values).to.deep.equal([
      [0, 0, 0, 1, 2, 1],
      [0, 1, 2, 3, 4, 1],
    ]);
  });

  it('refuses a row that is not whole steps, and a prefill longer than the frame, in one line naming the op', () => {
    const b = new GraphBuilder('bad');
    const x = b.input({ shape: [10], dtype: 'int16' });
    const [y, v] = b.op(
      'CUSTOM:SignalFramer',
      [x],
      [
        { shape: [3, 4], dtype: 'int16' },
        { shape: [], dtype: 'bool' },
      ],
      { customOptions: encodeCustomOptions({ frame_size: 4, frame_step: 3, prefill: false }) },
    );
    b.output(y!);
    b.output(v!);
    expect(() => compileGraph(b.build())).to.throw(/SignalFramer.*innermost dimension 10 is not whole steps of frame_step 3/);
    expect(() => compileGraph(framerGraph('bad2', [], 1, 2, 3, true))).to.throw(/SignalFramer.*prefill needs frame_size \(2\) >= frame_step \(3\)/);
  });

  it('equals TFLite Micro and its C equals the reference, frame after frame, on 12 cases (every kernel family)', () => {
    const cases = [
      framerCase(0, [], 1, 3, 1, false, 6),
      framerCase(1, [], 1, 5, 2, true, 5),
      framerCase(2, [], 2, 5, 2, true, 4),
      framerCase(3, [4], 2, 5, 2, false, 5),
      framerCase(4, [], 1, 480, 320, false, 4),
      framerCase(5, [], 1, 480, 320, true, 4),
      framerCase(6, [], 1, 400, 160, false, 5),
      framerCase(7, [2], 3, 7, 3, false, 4),
      framerCase(8, [], 2, 3, 5, false, 3),
      framerCase(9, [2, 3], 1, 4, 4, true, 3),
      framerCase(10, [], 5, 17, 2, false, 4),
      framerCase(11, [3], 4, 9, 3, true, 5),
    ];
    for (const c of cases) {
      const frameSize = c.graph.tensors[c.graph.outputs[0]!]!.shape.at(-1)!;
      expectValidFramesAgree([c], [{ data: 0, flag: 1, frameBytes: 2 * frameSize }], { c: false });
    }
    expectValidFramesAgree(cases, [], { tflm: false });
  });
});
