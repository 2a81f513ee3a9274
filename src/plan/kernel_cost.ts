// SPDX-License-Identifier: Apache-2.0
/**
 * What a kernel costs per MAC, for the choices the compiler makes without running the model
 * (`--max-ram`/`--max-flash` trading speed for memory). The figures are the medians of the perf
 * sweep (`npm run bench -- --sweep`, docs/kernels.md): instructions per MAC on the emulated
 * Cortex-M4 and ESP32-C3, cycles per MAC on the RP2040, for the family kernels and for the portable
 * C on the same targets. They rank schedules; they do not promise a latency (issue 17's timing model
 * will).
 */
import type { IsaFamily } from '../ops/op.ts';

type CostRow = Partial<Record<IsaFamily, number>>;

/**
 * Per op: the family kernel's cost per MAC on its family, and (`portable`) the portable C's cost on
 * each family. Ops absent here have no family kernel, so no choice to price.
 */
const FAMILY_KERNEL: Record<string, CostRow> = {
  CONV_2D: { 'arm-dsp': 1.17, armv6m: 6.2, rv32: 4.1 },
  DEPTHWISE_CONV_2D: { 'arm-dsp': 4.2, armv6m: 14.9, rv32: 8.6 },
  FULLY_CONNECTED: { 'arm-dsp': 1.18, armv6m: 4.7, rv32: 3.8 },
  UNIDIRECTIONAL_SEQUENCE_LSTM: { 'arm-dsp': 1.6, armv6m: 5.5, rv32: 4.5 },
  // per element (what `macs` counts for them)
  ADD: { armv6m: 23.1, rv32: 15.1 },
  SUB: { armv6m: 23.1, rv32: 15.1 },
  MUL: { armv6m: 35 },
  AVERAGE_POOL_2D: { 'arm-dsp': 4, armv6m: 10 },
  MAX_POOL_2D: { 'arm-dsp': 2.2, armv6m: 10 },
};

/** The portable C of the same ops on each family's target. */
const PORTABLE_ON: Record<string, CostRow> = {
  CONV_2D: { 'arm-dsp': 5.9, armv6m: 20.5, rv32: 8.4, portable: 5.9 },
  DEPTHWISE_CONV_2D: { 'arm-dsp': 19, armv6m: 49, rv32: 20.3, portable: 19 },
  FULLY_CONNECTED: { 'arm-dsp': 5.4, armv6m: 14, rv32: 7.1, portable: 5.4 },
  UNIDIRECTIONAL_SEQUENCE_LSTM: { 'arm-dsp': 5.4, armv6m: 14, rv32: 7.1, portable: 5.4 },
  ADD: { 'arm-dsp': 8, armv6m: 62, rv32: 17.8, portable: 8 },
  SUB: { 'arm-dsp': 8, armv6m: 62, rv32: 17.8, portable: 8 },
  MUL: { 'arm-dsp': 27, armv6m: 94, rv32: 24.2, portable: 27 },
  AVERAGE_POOL_2D: { 'arm-dsp': 12, armv6m: 22, rv32: 7.8, portable: 12 },
  MAX_POOL_2D: { 'arm-dsp': 12, armv6m: 30, rv32: 7.5, portable: 12 },
};

/** A cost for ops the tables do not list: only differences between two kernels matter. */
const UNLISTED = 4;

/** Estimated instructions (cycles on the RP2040) per MAC of `opKind` run by a kernel of `kernelFamily` on a `targetFamily` target. */
export function costPerMac(opKind: string, kernelFamily: IsaFamily, targetFamily: IsaFamily): number {
  if (kernelFamily === 'portable') return PORTABLE_ON[opKind]?.[targetFamily] ?? UNLISTED;
  return FAMILY_KERNEL[opKind]?.[kernelFamily] ?? PORTABLE_ON[opKind]?.[targetFamily] ?? UNLISTED;
}
