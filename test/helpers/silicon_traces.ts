// SPDX-License-Identifier: Apache-2.0
/**
 * The recorded whole-inference traces of other runtimes that the timing tables are held to
 * (test/data/*-traces.json, docs/timing.md, Validation): reading one, and the error of a priced figure
 * against the measured latency as docs/timing.md publishes it (rounded to 0.1 %, signed).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** docs/timing.md, where every published error must appear */
export const TIMING_DOC = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'timing.md'), 'utf8');

/** A recorded trace file of test/data, by name. */
export function readSiliconTraces<T>(file: string): { clockHz: number; waitStates?: number } & T {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', 'data', file), 'utf8'));
}

/** How far `cycles` at `clockHz` is from `measuredMs`, in percent. */
export function errorPercent(cycles: number, clockHz: number, measuredMs: number): number {
  return (((cycles / clockHz) * 1000 - measuredMs) / measuredMs) * 100;
}

/** An error as docs/timing.md writes it: "+6.1 %", "-2.8 %". */
export function published(e: number): string {
  return `${e > 0 ? '+' : ''}${e.toFixed(1)} %`;
}
