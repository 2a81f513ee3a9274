// SPDX-License-Identifier: Apache-2.0
/** Float32 UNIDIRECTIONAL_SEQUENCE_LSTM layers and inputs for lstm_float.test.ts and lstm_float_emulated.test.ts. */
import type { FloatLstmSpec } from './lstm_cases.ts';

/** Units, inputs, time steps, batches, time-major, cell clip and weight spreads. */
export const FLOAT_LSTM_SPECS: FloatLstmSpec[] = [
  { batches: 1, steps: 1, inputSize: 1, units: 1, seed: 1 },
  { batches: 1, steps: 5, inputSize: 3, units: 2, cellClip: 0.5, seed: 2 },
  { batches: 2, steps: 4, inputSize: 5, units: 3, timeMajor: true, seed: 3 },
  { batches: 3, steps: 2, inputSize: 17, units: 8, spread: 0.3, seed: 4 },
  { batches: 1, steps: 10, inputSize: 28, units: 20, spread: 0.3, cellClip: 3, seed: 5 },
  { batches: 2, steps: 3, inputSize: 7, units: 16, timeMajor: true, spread: 1.5, cellClip: 3, seed: 6 },
  { batches: 1, steps: 8, inputSize: 4, units: 12, spread: 1.5, seed: 7 },
  { batches: 2, steps: 6, inputSize: 2, units: 5, spread: 0.6, cellClip: 10, seed: 8 },
];

const EXTREMES = [0, -0, 1e-45, -1e-45, 1.1754942e-38, 3.4028235e38, -3.4028235e38, Infinity, -Infinity, NaN, 1e20, -1e20, 40, -40];

/**
 * Inputs mostly in [-3, 3); with `extremes`, one in eight is a zero of either sign, a subnormal, the
 * largest finite value, an infinity, a NaN or a value far outside the gates' range.
 */
export function floatLstmInputs(rand: () => number, n: number, opts: { extremes?: boolean } = {}): Float32Array {
  return Float32Array.from({ length: n }, () =>
    opts.extremes && rand() < 0.125 ? EXTREMES[Math.floor(rand() * EXTREMES.length)]! : Math.fround((2 * rand() - 1) * 3),
  );
}
