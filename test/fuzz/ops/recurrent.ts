// SPDX-License-Identifier: Apache-2.0
/**
 * Generators for the stateful layers of audio and sensor models: SVDF (int8 input, int8 feature
 * weights, int16 or int8 time weights and state, as TFLite Micro's integer SVDF takes them) and
 * UNIDIRECTIONAL_SEQUENCE_LSTM (int8, int16 cell state with a power-of-two scale, per-tensor weights:
 * TFLite Micro's integer LSTM; a third of the time pruned), their state in variable tensors starting at zero. Both are
 * `stateful`: their components run over several inferences with the state carried from one to the
 * next, besides the steps of a sequence inside one inference.
 */
import { chance, int, int32s, int8s, pick, scale, zeroPoint } from '../draw.ts';
import type { FuzzContext, FuzzGenerator } from './types.ts';

const lstm: FuzzGenerator = {
  name: 'UNIDIRECTIONAL_SEQUENCE_LSTM',
  ops: ['UNIDIRECTIONAL_SEQUENCE_LSTM'],
  dtypes: ['int8'],
  stateful: true,
  generate({ b, rand }: FuzzContext) {
    const batches = chance(rand, 0.7) ? 1 : 2;
    const steps = pick(rand, [1, 2, 3, 5, 8]);
    const inputSize = pick(rand, [1, 2, 3, 4, 7, 8, 12, 17, 28]);
    const units = pick(rand, [1, 2, 3, 4, 5, 8, 12, 16, 20]);
    const inQ = { scale: scale(rand, -3, -0.5), zeroPoint: zeroPoint(rand) };
    const outQ = { scale: scale(rand, -3, -1), zeroPoint: zeroPoint(rand) };
    const x = b.input({ shape: [batches, steps, inputSize], q: inQ });
    // a pruned layer a third of the time: the eight gate matrices at one sparsity, so the sparse gate
    // storage (unidirectional_sequence_lstm/sparse.ts) runs under --prefer size
    const zeros = chance(rand, 0.35) ? pick(rand, [0.5, 0.7, 0.9, 0.97, 1]) : 0;
    const matrix = (cols: number) => {
      const values = int8s(rand, units * cols, -127, 127);
      if (zeros > 0) for (let i = 0; i < values.length; i++) if (rand() < zeros) values[i] = 0;
      return b.constant({ shape: [units, cols], q: { scale: scale(rand, -3, -1.3), zeroPoint: 0 } }, values);
    };
    const inputWeights = [0, 1, 2, 3].map(() => matrix(inputSize));
    const recurrentWeights = [0, 1, 2, 3].map(() => matrix(units));
    const biases = [0, 1, 2, 3].map(() => b.constant({ shape: [units], dtype: 'int32' }, int32s(rand, units, -20000, 20000)));
    const hidden = b.tensor({ shape: [batches, units], q: outQ, variable: true });
    const cell = b.tensor({ shape: [batches, units], dtype: 'int16', q: { scale: 2 ** -int(rand, 9, 13), zeroPoint: 0 }, variable: true });
    const none = -1;
    const [y] = b.op(
      'UNIDIRECTIONAL_SEQUENCE_LSTM',
      [x, ...inputWeights, ...recurrentWeights, none, none, none, ...biases, none, none, hidden, cell, none, none, none, none],
      [{ shape: [batches, steps, units], q: outQ }],
      {
        activation: 'TANH',
        cellClip: chance(rand, 0.3) ? pick(rand, [1, 4, 8]) : 0,
        projClip: 0,
        timeMajor: false,
        asymmetricQuantizeInputs: false,
      },
    );
    b.output(y!);
  },
};

export const generators: FuzzGenerator[] = [
  lstm,
  {
    name: 'SVDF',
    ops: ['SVDF'],
    dtypes: ['int8'],
    stateful: true,
    generate({ b, rand }: FuzzContext) {
      const batches = chance(rand, 0.7) ? 1 : 2;
      const inputSize = pick(rand, [1, 2, 3, 5, 8, 12, 17, 40]);
      const rank = pick(rand, [1, 1, 2]);
      const units = pick(rand, [1, 2, 3, 4, 8, 12]);
      const filters = units * rank;
      const memory = pick(rand, [1, 2, 4, 8, 10]);
      const stateInt16 = chance(rand, 0.8);
      const inScale = scale(rand, -3, -0.5);
      const wfScale = scale(rand, -3, -1.5);
      const wtScale = scale(rand, -4, -2);
      const stateScale = scale(rand, -4, -1.5);
      const x = b.input({ shape: [batches, inputSize], q: { scale: inScale, zeroPoint: zeroPoint(rand) } });
      const wf = b.constant({ shape: [filters, inputSize], q: { scale: wfScale, zeroPoint: 0 } }, int8s(rand, filters * inputSize, -127, 127));
      const wt = stateInt16
        ? b.constant(
            { shape: [filters, memory], dtype: 'int16', q: { scale: wtScale, zeroPoint: 0 } },
            Int16Array.from({ length: filters * memory }, () => int(rand, -4000, 4000)),
          )
        : b.constant({ shape: [filters, memory], q: { scale: wtScale, zeroPoint: 0 } }, int8s(rand, filters * memory, -127, 127));
      // TFLite Micro's SVDF aborts without a bias (ours takes none too)
      const bias = b.constant(
        { shape: [units], dtype: 'int32', q: { scale: Math.fround(stateScale * wtScale), zeroPoint: 0 } },
        int32s(rand, units, chance(rand, 0.2) ? 0 : -3000, chance(rand, 0.2) ? 0 : 3000),
      );
      const state = b.tensor({
        shape: [batches, memory * filters],
        dtype: stateInt16 ? 'int16' : 'int8',
        q: { scale: stateScale, zeroPoint: 0 },
        variable: true,
      });
      const outScale = scale(rand, -3, -0.5);
      const [y] = b.op('SVDF', [x, wf, wt, bias, state], [{ shape: [batches, units], q: { scale: outScale, zeroPoint: zeroPoint(rand) } }], {
        rank,
        activation: chance(rand, 0.5) ? 'RELU' : 'NONE',
        asymmetricQuantizeInputs: false,
      });
      b.output(y!);
    },
  },
];
