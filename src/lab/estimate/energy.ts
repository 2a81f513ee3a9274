// SPDX-License-Identifier: Apache-2.0
/**
 * Time, energy and battery arithmetic on estimated cycles. A run-mode current given per MHz makes
 * the charge of a run independent of the clock: I = k·f and t = cycles / f, so Q = I·t = k·cycles.
 *
 *   ms            = cycles / clockHz · 1000
 *   charge (µC)   = µA/MHz · cycles / 10^6                 (µA/MHz · MHz = µA; µA · s = µC)
 *   energy (µJ)   = charge (µC) · V
 *   inferences    = battery mAh · 3.6·10^6 µC/mAh / charge per inference (µC)
 *
 * These count the core running the inference from the supply at the figure's conditions: no sleep
 * between inferences, no peripherals, no regulator or battery losses.
 */
import { TinyforgeError } from '../../core/errors.ts';

/** Microcoulombs in one milliamp-hour: 1 mA · 3600 s = 3.6 C. */
export const MICROCOULOMBS_PER_MAH = 3_600_000;

/** Milliseconds that `cycles` take at `clockHz`. */
export function cyclesToMs(cycles: number, clockHz: number): number {
  if (!(clockHz > 0)) throw new RangeError(`clock must be above 0 Hz, got ${clockHz}`);
  return (cycles / clockHz) * 1000;
}

/** Microcoulombs drawn over `cycles` at a run current of `microampsPerMHz` (at any clock). */
export function chargeMicrocoulombs(cycles: number, microampsPerMHz: number): number {
  return (microampsPerMHz * cycles) / 1e6;
}

/** Microjoules over `cycles` at `microampsPerMHz` from a `volts` supply. */
export function energyMicrojoules(cycles: number, microampsPerMHz: number, volts: number): number {
  return chargeMicrocoulombs(cycles, microampsPerMHz) * volts;
}

/** The average supply current while running at `clockHz`, in mA. */
export function runCurrentMilliamps(microampsPerMHz: number, clockHz: number): number {
  return (microampsPerMHz * clockHz) / 1e6 / 1000;
}

/** Inferences a battery of `batteryMah` runs when each draws `cycles` at `microampsPerMHz`. */
export function inferencesPerBattery(cycles: number, microampsPerMHz: number, batteryMah: number): number {
  const perInference = chargeMicrocoulombs(cycles, microampsPerMHz);
  if (!(perInference > 0)) return Infinity;
  return (batteryMah * MICROCOULOMBS_PER_MAH) / perInference;
}

/** `--battery`: a capacity in mAh (`220mAh`, `220 mAh`, `2.2Ah`, or a bare number of mAh) up to 10,000 Ah. */
export function batteryOption(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(mah|ah)?\s*$/i.exec(value);
  const mah = m ? Number(m[1]) * ((m[2] ?? 'mah').toLowerCase() === 'ah' ? 1000 : 1) : NaN;
  if (!(mah > 0 && mah <= 10_000_000)) throw new TinyforgeError(`--battery must be a capacity above 0 in mAh or Ah (220mAh, 2.2Ah), got '${value}'`);
  return mah;
}
