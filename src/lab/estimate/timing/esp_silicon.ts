// SPDX-License-Identifier: Apache-2.0
/**
 * The Xtensa LX6 / LX7 and RV32IMC tables against the chips: esp-tflite-micro's README publishes the
 * Invoke latency of its person_detection example measured on an ESP32, an ESP32-S3 and an ESP32-C3,
 * with ESP-NN and without (the kernels built without -DESP_NN). test/data/esp-person-detect-traces.json
 * holds the instruction traces of that build's Invoke on person_detect (recorded by
 * bench/timing-esp.ts on Espressif's QEMU); this prices them with each chip's table at the README's
 * clock, code and constants in flash behind caches that hit (docs/timing.md, "ESP32, ESP32-S3,
 * ESP32-C3 against silicon").
 */
import { CORE_TIMINGS, type CoreTiming, ZERO_WAIT } from './cores.ts';
import { priceInstructions } from './index.ts';
import { decodeRv32 } from './rv32.ts';
import { decodeXtensa } from './xtensa.ts';

export type EspSiliconChip = 'esp32' | 'esp32s3' | 'esp32c3';
export type EspSiliconBuild = 'esp_nn' | 'reference';

/** The README's measured Invoke latencies (ms) and CPU clocks. */
export const ESP_PERSON_DETECTION_MS: Record<EspSiliconChip, { clockHz: number; esp_nn: number; reference: number }> = {
  esp32s3: { clockHz: 240_000_000, esp_nn: 54, reference: 2300 },
  esp32: { clockHz: 240_000_000, esp_nn: 380, reference: 4084 },
  esp32c3: { clockHz: 160_000_000, esp_nn: 426, reference: 3355 },
};

/** One recorded trace: [address, instruction bytes as hex, times executed, times taken] per instruction. */
export interface EspRecordedTrace {
  instructions: number;
  counts: [number, string, number, number][];
}

export interface EspSiliconPrice {
  chip: EspSiliconChip;
  build: EspSiliconBuild;
  instructions: number;
  cycles: number;
  estimatedMs: number;
  measuredMs: number;
  /** (estimated - measured) / measured, percent */
  errorPercent: number;
}

export function timingOf(chip: EspSiliconChip): CoreTiming {
  return CORE_TIMINGS[chip]!;
}

export function priceEspTrace(chip: EspSiliconChip, build: EspSiliconBuild, trace: EspRecordedTrace, timing: CoreTiming = timingOf(chip)): EspSiliconPrice {
  const counts = trace.counts.map(([address, hex, executed, taken]) => ({ address, bytes: Uint8Array.from(Buffer.from(hex, 'hex')), executed, taken }));
  const decode = chip === 'esp32c3' ? decodeRv32 : decodeXtensa;
  const { cycles, instructions } = priceInstructions(counts, decode, timing, ZERO_WAIT);
  const published = ESP_PERSON_DETECTION_MS[chip];
  const estimatedMs = (cycles / published.clockHz) * 1000;
  const measuredMs = published[build];
  return { chip, build, instructions, cycles, estimatedMs, measuredMs, errorPercent: ((estimatedMs - measuredMs) / measuredMs) * 100 };
}
