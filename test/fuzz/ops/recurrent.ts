/**
 * Generators for the stateful layers of audio models: SVDF (int8 input, int8 feature weights, int16
 * or int8 time weights and state, as TFLite Micro's integer SVDF takes them), its state a variable
 * tensor starting at zero. Each inference of a fuzz batch starts from reset state.
 */
import { chance, int, int32s, int8s, pick, scale, zeroPoint } from '../draw.ts';
import type { FuzzContext, FuzzGenerator } from './types.ts';

export const generators: FuzzGenerator[] = [
  {
    name: 'SVDF', ops: ['SVDF'], dtypes: ['int8'],
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
        ? b.constant({ shape: [filters, memory], dtype: 'int16', q: { scale: wtScale, zeroPoint: 0 } }, Int16Array.from({ length: filters * memory }, () => int(rand, -4000, 4000)))
        : b.constant({ shape: [filters, memory], q: { scale: wtScale, zeroPoint: 0 } }, int8s(rand, filters * memory, -127, 127));
      // TFLite Micro's SVDF aborts without a bias (ours takes none too)
      const bias = b.constant({ shape: [units], dtype: 'int32', q: { scale: Math.fround(stateScale * wtScale), zeroPoint: 0 } }, int32s(rand, units, chance(rand, 0.2) ? 0 : -3000, chance(rand, 0.2) ? 0 : 3000));
      const state = b.tensor({ shape: [batches, memory * filters], dtype: stateInt16 ? 'int16' : 'int8', q: { scale: stateScale, zeroPoint: 0 }, variable: true });
      const outScale = scale(rand, -3, -0.5);
      const [y] = b.op('SVDF', [x, wf, wt, bias, state], [{ shape: [batches, units], q: { scale: outScale, zeroPoint: zeroPoint(rand) } }], {
        rank, activation: chance(rand, 0.5) ? 'RELU' : 'NONE', asymmetricQuantizeInputs: false,
      });
      b.output(y!);
    },
  },
];
