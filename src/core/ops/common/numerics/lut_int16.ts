// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite's int16 lookup tables (gen_lut / lut_lookup_with_interpolation): a function sampled at 512
 * steps over [inputMin, inputMax] plus one end value, each sample nudged so that linear interpolation
 * hits the function's midpoint, all computed in float32 as TFLite does at Prepare time. A lookup maps
 * an int16 to a table position (top 9 bits) and interpolates with the low 7 bits. The C twin of the
 * lookup is `lut_int16.h`; tables are computed here at compile time and emitted as const arrays.
 */
import { f32, roundHalfAway } from './fixedpoint.ts';

export const LUT_INT16_SIZE = 513;

/** roundf of a float32 value, returned as float32. */
const roundf = (x: number) => f32(roundHalfAway(x));

/** gen_lut<float, int16_t, int16_t>(func, inputMin, inputMax, outputMin, outputMax). */
export function genLutInt16(func: (x: number) => number, inputMin: number, inputMax: number, outputMin: number, outputMax: number): Int16Array {
  const steps = 512;
  const step = f32(f32(inputMax - inputMin) / steps);
  const halfStep = f32(step / 2);
  const scalingInv = f32(65536 / f32(outputMax - outputMin));
  const at = (i: number) => f32(inputMin + f32(i * step));
  const clampToTable = (v: number) => Math.min(Math.max(v, -32768), 32767);
  const lut = new Int16Array(LUT_INT16_SIZE);
  for (let i = 0; i < steps; i++) {
    const val = func(at(i));
    const valMidpoint = func(f32(at(i) + halfStep));
    const valNext = func(at(i + 1));
    const sample = roundf(f32(val * scalingInv));
    const midpointInterp = roundf(f32(f32(f32(valNext * scalingInv) + sample) / 2));
    const midpoint = roundf(f32(valMidpoint * scalingInv));
    const bias = roundf(f32(f32(midpointInterp - midpoint) / 2));
    lut[i] = clampToTable(f32(sample - bias));
  }
  lut[steps] = clampToTable(roundf(f32(func(f32(inputMax)) * scalingInv)));
  return lut;
}

/** expf, as the table generator calls it. */
export const expF32 = (x: number) => f32(Math.exp(x));
/** 1 / (1 + x) in float32. */
export const oneOverOnePlusXF32 = (x: number) => f32(1 / f32(1 + x));

/** lut_lookup_with_interpolation for an int16 input and int16 table. */
export function lutLookupInt16(value: number, lut: ArrayLike<number>): number {
  const index = 256 + (value >> 7);
  const offset = value & 0x7f;
  const base = lut[index]!;
  const slope = ((lut[index + 1]! - base) << 16) >> 16;
  const delta = (slope * offset + 64) >> 7;
  return ((base + delta) << 16) >> 16;
}
