// SPDX-License-Identifier: Apache-2.0
/**
 * Generators for the 14 ops of TFLite Micro's signal library (custom ops `CUSTOM:Signal<Name>`, their
 * options a FlexBuffers map), with the options TFLite Micro's own tests and the micro_speech
 * front-end use, and shapes around them. Rfft, Irfft and OverlapAdd also draw their float32 form
 * (the only signal ops TFLite Micro runs in float). The stateful ones (framer, stacker, delay, overlap-add,
 * spectral subtraction's noise estimate) run over several frames without a reset (`stateful`,
 * SEQUENCE_FRAMES in ../batch.ts). A generator whose op has no kernel here yet is left out of the
 * campaign with a note until the op is registered.
 *
 * Inputs that are not samples (filter-bank tables, the PCAN gain table, square-root scale bits) are
 * constants drawn as a front-end computes them: random values there would be no front-end at all,
 * and a random shift count is undefined in C.
 */
import { encodeCustomOptions } from '../../../src/core/model/tflite/custom_options.ts';
import { chance, int, pick } from '../draw.ts';
import type { FuzzContext, FuzzGenerator } from './types.ts';

const TYPE_INT16 = 7;
const TYPE_INT32 = 2;
const TYPE_FLOAT32 = 0;

/** Leading dimensions of a signal tensor: none mostly, sometimes rows with a buffer each. */
function rows(rand: () => number): number[] {
  return chance(rand, 0.6) ? [] : [pick(rand, [1, 2, 3])];
}

const count = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

/** A window as a front-end has it: a Hann window in Q`bits`, or (a fifth of the time) any int16 values. */
function window(rand: () => number, n: number, bits: number): Int16Array {
  if (chance(rand, 0.2)) return Int16Array.from({ length: n }, () => int(rand, -32768, 32767));
  return Int16Array.from({ length: n }, (_, i) => Math.round((0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / n)) * (1 << bits)));
}

const signalWindow: FuzzGenerator = {
  name: 'CUSTOM:SignalWindow',
  ops: ['CUSTOM:SignalWindow'],
  dtypes: ['int16'],
  generate({ b, rand }: FuzzContext) {
    const n = pick(rand, [1, 7, 16, 30, 49, 64, 100, 128]);
    const shift = chance(rand, 0.7) ? pick(rand, [8, 12, 12, 14]) : int(rand, 0, 31);
    const shape = [...rows(rand), n];
    const x = b.input({ shape, dtype: 'int16' });
    const w = b.constant({ shape: [n], dtype: 'int16' }, window(rand, n, Math.min(shift, 14)));
    const [y] = b.op('CUSTOM:SignalWindow', [x, w], [{ shape, dtype: 'int16' }], { customOptions: encodeCustomOptions({ shift }) });
    b.output(y!);
  },
};

const fftAutoScale: FuzzGenerator = {
  name: 'CUSTOM:SignalFftAutoScale',
  ops: ['CUSTOM:SignalFftAutoScale'],
  dtypes: ['int16'],
  generate({ b, rand }: FuzzContext) {
    const n = pick(rand, [1, 2, 16, 33, 64, 128, 256]);
    const x = b.input({ shape: [n], dtype: 'int16' });
    const [y, scaleBits] = b.op(
      'CUSTOM:SignalFftAutoScale',
      [x],
      [
        { shape: [n], dtype: 'int16' },
        { shape: [], dtype: 'int32' },
      ],
    );
    b.output(y!);
    b.output(scaleBits!);
  },
};

/**
 * An FFT's length (a power of two) and its element type: int16 mostly, int32 (T = INT32) sometimes;
 * the float32 form (T = FLOAT32) also draws lengths with radices 3 and 5.
 */
function fftShape(rand: () => number, float = false): { length: number; dtype: 'int16' | 'int32' | 'float32'; T: number } {
  // TFLite Micro's kiss_fftr crashes on a length of 2 (one complex point): 4 and up
  if (float) return { length: pick(rand, [4, 6, 10, 12, 20, 30, 48, 64, 100, 120, 240, 256, 480, 512]), dtype: 'float32', T: TYPE_FLOAT32 };
  const length = pick(rand, [4, 8, 16, 32, 64, 128, 256, 512]);
  return chance(rand, 0.7) ? { length, dtype: 'int16', T: TYPE_INT16 } : { length, dtype: 'int32', T: TYPE_INT32 };
}

const rfft: FuzzGenerator = {
  name: 'CUSTOM:SignalRfft',
  ops: ['CUSTOM:SignalRfft'],
  dtypes: ['int16', 'float32'],
  generate({ b, rand, floatForm }: FuzzContext) {
    const { length, dtype, T } = fftShape(rand, floatForm === 'float32');
    // a frame shorter than the FFT is zero-padded (micro_speech: 480 samples into 512)
    const frame = chance(rand, 0.6) ? length : int(rand, 1, length);
    const lead = rows(rand);
    const x = b.input({ shape: [...lead, frame], dtype });
    const [y] = b.op('CUSTOM:SignalRfft', [x], [{ shape: [...lead, length + 2], dtype }], {
      customOptions: encodeCustomOptions({ T, fft_length: length }),
    });
    b.output(y!);
  },
};

const irfft: FuzzGenerator = {
  name: 'CUSTOM:SignalIrfft',
  ops: ['CUSTOM:SignalIrfft'],
  dtypes: ['int16', 'float32'],
  generate({ b, rand, floatForm }: FuzzContext) {
    const { length, dtype, T } = fftShape(rand, floatForm === 'float32');
    const lead = rows(rand);
    const x = b.input({ shape: [...lead, length + 2], dtype });
    const [y] = b.op('CUSTOM:SignalIrfft', [x], [{ shape: [...lead, length], dtype }], {
      customOptions: encodeCustomOptions({ T, fft_length: length }),
    });
    b.output(y!);
  },
};

const energy: FuzzGenerator = {
  name: 'CUSTOM:SignalEnergy',
  ops: ['CUSTOM:SignalEnergy'],
  dtypes: ['int16'],
  generate({ b, rand }: FuzzContext) {
    const bins = pick(rand, [1, 2, 5, 9, 17, 33, 65, 129]);
    const x = b.input({ shape: [2 * bins], dtype: 'int16' });
    // TFLite Micro writes only the bins in [start_index, end_index): every bin, so all are defined
    const [y] = b.op('CUSTOM:SignalEnergy', [x], [{ shape: [bins], dtype: 'uint32' }], {
      customOptions: encodeCustomOptions({ end_index: bins, start_index: 0 }),
    });
    b.output(y!);
  },
};

/**
 * A filter bank over `bins` spectrum bins as a front-end lays it out: num_channels + 1 triangles
 * (channel 0 is TFLite Micro's scratch) between rising edges, each bin's weight in Q12 and its
 * unweight 4096 minus it, the weights stored channel after channel.
 */
function filterBankTables(rand: () => number, bins: number, channels: number) {
  const edges = [int(rand, 0, Math.max(0, bins - channels - 2))];
  for (let i = 1; i <= channels + 1; i++)
    edges.push(Math.min(bins, edges[i - 1]! + int(rand, 1, Math.max(1, Math.floor((bins - edges[0]!) / (channels + 1))))));
  const starts: number[] = [];
  const weightStarts: number[] = [];
  const widths: number[] = [];
  const weights: number[] = [];
  const unweights: number[] = [];
  for (let i = 0; i <= channels; i++) {
    const width = Math.max(0, edges[i + 1]! - edges[i]!);
    starts.push(edges[i]!);
    weightStarts.push(weights.length);
    widths.push(width);
    for (let j = 0; j < width; j++) {
      const w = chance(rand, 0.1) ? int(rand, 0, 4096) : Math.round((4096 * (j + 1)) / (width + 1));
      weights.push(w);
      unweights.push(4096 - w);
    }
  }
  if (weights.length === 0) {
    weights.push(0);
    unweights.push(0);
  }
  return { starts, weightStarts, widths, weights, unweights };
}

const filterBank: FuzzGenerator = {
  name: 'CUSTOM:SignalFilterBank',
  ops: ['CUSTOM:SignalFilterBank'],
  dtypes: ['int16'],
  generate({ b, rand }: FuzzContext) {
    const bins = pick(rand, [9, 17, 33, 65, 129, 257]);
    const channels = Math.min(bins - 2, pick(rand, [1, 2, 4, 8, 16, 32, 40]));
    const t = filterBankTables(rand, bins, Math.max(1, channels));
    const c = Math.max(1, channels);
    const table = (values: number[]) => b.constant({ shape: [values.length], dtype: 'int16' }, Int16Array.from(values));
    const x = b.input({ shape: [bins], dtype: 'uint32' });
    const [y] = b.op(
      'CUSTOM:SignalFilterBank',
      [x, table(t.weights), table(t.unweights), table(t.starts), table(t.weightStarts), table(t.widths)],
      [{ shape: [c], dtype: 'uint64' }],
      { customOptions: encodeCustomOptions({ num_channels: c }) },
    );
    b.output(y!);
  },
};

const filterBankSquareRoot: FuzzGenerator = {
  name: 'CUSTOM:SignalFilterBankSquareRoot',
  ops: ['CUSTOM:SignalFilterBankSquareRoot'],
  dtypes: ['int16'],
  generate({ b, rand }: FuzzContext) {
    const channels = pick(rand, [1, 2, 5, 16, 32, 40]);
    const x = b.input({ shape: [channels], dtype: 'uint64' });
    // the scale FftAutoScale found: a shift of a few bits
    const scaleBits = b.constant({ shape: [], dtype: 'int32' }, Int32Array.of(chance(rand, 0.3) ? 0 : int(rand, 0, 15)));
    const [y] = b.op('CUSTOM:SignalFilterBankSquareRoot', [x, scaleBits], [{ shape: [channels], dtype: 'uint32' }]);
    b.output(y!);
  },
};

const spectralSubtraction: FuzzGenerator = {
  name: 'CUSTOM:SignalFilterBankSpectralSubtraction',
  ops: ['CUSTOM:SignalFilterBankSpectralSubtraction'],
  dtypes: ['int16'],
  stateful: true,
  generate({ b, rand }: FuzzContext) {
    const channels = pick(rand, [1, 2, 5, 16, 32, 40]);
    // micro_speech: smoothing 0.025 on even channels, 0.06 on odd ones, in Q14; TFLite Micro's test: 0.04
    const [smoothing, alternate] = chance(rand, 0.5) ? [410, 983] : chance(rand, 0.5) ? [655, 655] : [int(rand, 0, 16384), int(rand, 0, 16384)];
    const x = b.input({ shape: [channels], dtype: 'uint32' });
    const [y, noise] = b.op(
      'CUSTOM:SignalFilterBankSpectralSubtraction',
      [x],
      [
        { shape: [channels], dtype: 'uint32' },
        { shape: [channels], dtype: 'uint32' },
      ],
      {
        customOptions: encodeCustomOptions({
          alternate_one_minus_smoothing: 16384 - alternate!,
          alternate_smoothing: alternate!,
          clamping: chance(rand, 0.3),
          min_signal_remaining: chance(rand, 0.7) ? 819 : int(rand, 0, 16384),
          num_channels: channels,
          one_minus_smoothing: 16384 - smoothing!,
          smoothing: smoothing!,
          smoothing_bits: pick(rand, [0, 10, 10, 5]),
          spectral_subtraction_bits: 14,
        }),
      },
    );
    b.output(y!);
    b.output(noise!);
  },
};

/**
 * PCAN's gain table as a front-end computes it (strength, offset, gain bits and input bits drawn
 * around micro_speech's 0.95, 80, 21 and 7): gain(x) = 2^gain_bits * (x / 2^input_bits + offset)^-strength
 * at 0 and 1, then per power of two `interval` the value at its start and the two coefficients of
 * the quadratic through its start, middle and end.
 */
function pcanGainTable(rand: () => number): { lut: Int16Array; snrShift: number } {
  const strength = pick(rand, [0.95, 0.95, 0.5, 0.75, 1]);
  const offset = pick(rand, [80, 80, 10, 200]);
  const gainBits = pick(rand, [21, 21, 18]);
  const inputBits = pick(rand, [7, 7, 5, 10]);
  const gain = (x: number): number => {
    const g = 2 ** gainBits * Math.pow(x / 2 ** inputBits + offset, -strength);
    return g > 32767 ? 32767 : Math.floor(g + 0.5);
  };
  const lut = new Int16Array(125);
  lut[0] = gain(0);
  lut[1] = gain(1);
  for (let interval = 2; interval <= 32; interval++) {
    const x0 = 2 ** (interval - 1);
    const x1 = x0 + x0 / 2;
    const x2 = interval === 32 ? x0 + (x0 - 1) : 2 * x0;
    const [y0, y1, y2] = [gain(x0), gain(x1), gain(x2)];
    const a1 = 4 * (y1 - y0) - (y2 - y0);
    const a2 = y2 - y0 - a1;
    lut[4 * interval - 6] = y0;
    lut[4 * interval - 5] = a1;
    lut[4 * interval - 4] = a2;
  }
  // snr_shift = gain_bits - input_correction_bits - 12 (PCAN's SNR bits)
  return { lut, snrShift: gainBits - pick(rand, [3, 3, 5]) - 12 };
}

const pcan: FuzzGenerator = {
  name: 'CUSTOM:SignalPCAN',
  ops: ['CUSTOM:SignalPCAN'],
  dtypes: ['int16'],
  generate({ b, rand }: FuzzContext) {
    const channels = pick(rand, [1, 2, 5, 16, 32, 40]);
    const { lut, snrShift } = pcanGainTable(rand);
    const x = b.input({ shape: [channels], dtype: 'uint32' });
    const noise = b.input({ shape: [channels], dtype: 'uint32' });
    const table = b.constant({ shape: [lut.length], dtype: 'int16' }, lut);
    const [y] = b.op('CUSTOM:SignalPCAN', [x, noise, table], [{ shape: [channels], dtype: 'uint32' }], {
      customOptions: encodeCustomOptions({ snr_shift: snrShift }),
    });
    b.output(y!);
  },
};

const filterBankLog: FuzzGenerator = {
  name: 'CUSTOM:SignalFilterBankLog',
  ops: ['CUSTOM:SignalFilterBankLog'],
  dtypes: ['int16'],
  generate({ b, rand }: FuzzContext) {
    const channels = pick(rand, [1, 2, 5, 16, 32, 40]);
    // TFLite Micro's tests: scale 1600 with 3 correction bits, 32768 with 5; micro_speech: 64
    const [outputScale, correction] = pick(rand, [
      [1600, 3],
      [32768, 5],
      [64, 3],
      [int(rand, 1, 32768), int(rand, 0, 8)],
    ]);
    const x = b.input({ shape: [channels], dtype: 'uint32' });
    const [y] = b.op('CUSTOM:SignalFilterBankLog', [x], [{ shape: [channels], dtype: 'int16' }], {
      customOptions: encodeCustomOptions({ input_correction_bits: correction!, output_scale: outputScale! }),
    });
    b.output(y!);
  },
};

const framer: FuzzGenerator = {
  name: 'CUSTOM:SignalFramer',
  ops: ['CUSTOM:SignalFramer'],
  dtypes: ['int16'],
  stateful: true,
  generate({ b, rand }: FuzzContext) {
    // TFLite Micro's tests (3 by 1, 5 by 2), micro_speech's 30 ms by 20 ms scaled down, steps past the frame
    const [frameSize, frameStep] = pick(rand, [
      [3, 1],
      [5, 2],
      [8, 4],
      [25, 10],
      [48, 32],
      [7, 3],
      [4, 5],
      [int(rand, 1, 40), int(rand, 1, 16)],
    ]);
    const prefill = frameSize! >= frameStep! && chance(rand, 0.5);
    const lead = rows(rand);
    const steps = pick(rand, [1, 1, 2, 3]);
    const x = b.input({ shape: [...lead, steps * frameStep!], dtype: 'int16' });
    const [y, valid] = b.op(
      'CUSTOM:SignalFramer',
      [x],
      [
        { shape: [...lead, steps, frameSize!], dtype: 'int16' },
        { shape: [], dtype: 'bool' },
      ],
      { customOptions: encodeCustomOptions({ frame_size: frameSize!, frame_step: frameStep!, prefill }) },
    );
    b.output(y!);
    b.output(valid!);
    return { validFlags: [{ data: 0, flag: 1, frameBytes: 2 * frameSize! }] };
  },
};

const stacker: FuzzGenerator = {
  name: 'CUSTOM:SignalStacker',
  ops: ['CUSTOM:SignalStacker'],
  dtypes: ['int16'],
  stateful: true,
  generate({ b, rand }: FuzzContext) {
    // TFLite Micro's tests: 3 and 10 channels, left context 1, steps 1 and 2
    const channels = pick(rand, [1, 3, 5, 10, 16, 40]);
    const left = pick(rand, [0, 1, 1, 2, 3]);
    const right = pick(rand, [0, 0, 1, 2]);
    const step = int(rand, 1, Math.min(3, left + right + 1));
    const x = b.input({ shape: [channels], dtype: 'int16' });
    const [y, valid] = b.op(
      'CUSTOM:SignalStacker',
      [x],
      [
        { shape: [channels * (left + 1 + right)], dtype: 'int16' },
        { shape: [], dtype: 'bool' },
      ],
      { customOptions: encodeCustomOptions({ num_channels: channels, stacker_left_context: left, stacker_right_context: right, stacker_step: step }) },
    );
    b.output(y!);
    b.output(valid!);
    return { validFlags: [{ data: 0, flag: 1 }] };
  },
};

const delay: FuzzGenerator = {
  name: 'CUSTOM:SignalDelay',
  ops: ['CUSTOM:SignalDelay'],
  dtypes: ['int16'],
  stateful: true,
  generate({ b, rand }: FuzzContext) {
    const n = pick(rand, [1, 3, 5, 16, 40]);
    // TFLite Micro's tests delay by 3 and 5; shorter and longer than a frame, and none
    const length = pick(rand, [0, 1, 3, 5, n, 2 * n + 1, int(rand, 1, 64)]);
    const shape = [...rows(rand), n];
    const x = b.input({ shape, dtype: 'int16' });
    const [y] = b.op('CUSTOM:SignalDelay', [x], [{ shape, dtype: 'int16' }], { customOptions: encodeCustomOptions({ delay_length: length }) });
    b.output(y!);
  },
};

const overlapAdd: FuzzGenerator = {
  name: 'CUSTOM:SignalOverlapAdd',
  ops: ['CUSTOM:SignalOverlapAdd'],
  dtypes: ['int16', 'float32'],
  stateful: true,
  generate({ b, rand, floatForm }: FuzzContext) {
    const [dtype, T] = floatForm === 'float32' ? (['float32', TYPE_FLOAT32] as const) : (['int16', TYPE_INT16] as const);
    const [frameSize, frameStep] = pick(rand, [
      [4, 1],
      [4, 2],
      [8, 4],
      [6, 1],
      [5, 5],
      [32, 16],
      [9, 3],
      [int(rand, 1, 48), 0],
    ]);
    const step = frameStep === 0 ? int(rand, 1, frameSize!) : frameStep!;
    const lead = rows(rand);
    const frames = pick(rand, [1, 1, 2, 3]);
    const x = b.input({ shape: [...lead, frames, frameSize!], dtype });
    const [y] = b.op('CUSTOM:SignalOverlapAdd', [x], [{ shape: [...lead, frames * step], dtype }], {
      customOptions: encodeCustomOptions({ T, frame_step: step }),
    });
    b.output(y!);
  },
};

/**
 * Analysis and resynthesis as an audio effect chains them: frames of a stream (prefilled, so every
 * frame is full and nothing undefined flows on), windowed, added back at the frame step. The
 * intermediate tensors die inside the chain while the three ops' state lives on, so the arena
 * planner places them around each other.
 */
const framesWindowOverlapAdd: FuzzGenerator = {
  name: 'signal-frames-window-overlap-add',
  ops: ['CUSTOM:SignalFramer', 'CUSTOM:SignalWindow', 'CUSTOM:SignalOverlapAdd'],
  dtypes: ['int16'],
  stateful: true,
  generate({ b, rand }: FuzzContext) {
    const [frameSize, frameStep] = pick(rand, [
      [4, 2],
      [8, 4],
      [6, 3],
      [16, 8],
      [12, 4],
      [5, 5],
      [32, 16],
    ]);
    const steps = pick(rand, [1, 1, 2]);
    const shift = pick(rand, [12, 14, 15]);
    const x = b.input({ shape: [steps * frameStep!], dtype: 'int16' });
    const [frames, valid] = b.op(
      'CUSTOM:SignalFramer',
      [x],
      [
        { shape: [steps, frameSize!], dtype: 'int16' },
        { shape: [], dtype: 'bool' },
      ],
      { customOptions: encodeCustomOptions({ frame_size: frameSize!, frame_step: frameStep!, prefill: true }) },
    );
    const w = b.constant({ shape: [frameSize!], dtype: 'int16' }, window(rand, frameSize!, 14));
    const [windowed] = b.op('CUSTOM:SignalWindow', [frames!, w], [{ shape: [steps, frameSize!], dtype: 'int16' }], {
      customOptions: encodeCustomOptions({ shift }),
    });
    const [y] = b.op('CUSTOM:SignalOverlapAdd', [windowed!], [{ shape: [steps * frameStep!], dtype: 'int16' }], {
      customOptions: encodeCustomOptions({ T: TYPE_INT16, frame_step: frameStep! }),
    });
    b.output(y!);
    b.output(valid!);
  },
};

export const generators: FuzzGenerator[] = [
  signalWindow,
  fftAutoScale,
  rfft,
  irfft,
  energy,
  filterBank,
  filterBankSquareRoot,
  spectralSubtraction,
  pcan,
  filterBankLog,
  framer,
  stacker,
  delay,
  overlapAdd,
  framesWindowOverlapAdd,
];
