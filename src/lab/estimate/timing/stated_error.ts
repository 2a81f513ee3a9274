// SPDX-License-Identifier: Apache-2.0
/**
 * Each core table's error as last checked against something outside this model (docs/timing.md,
 * Validation: the figures, their sources and what each comparison can and cannot say), carried in
 * the cycle estimate's `basis` so a `--json` reader sees how far to trust the figure. A sentence
 * here changes only with a new check written up there.
 */
const STATED_ERROR: Record<string, string> = {
  'cortex-m0plus':
    "error -2.9 % with the XIP cache replayed, against pico-tflmicro's person_detection latency measured on a Raspberry Pi Pico; within 0.3 % of rp2040js on the shared models",
  'cortex-m0': 'error not measured',
  'cortex-m3': 'error not measured',
  'cortex-m4':
    'error +1.0 % (KWS), +1.5 % (VWW), -5.4 % (IC), -6.7 % (AD) with the ART accelerator modelled, against MLPerf Tiny v0.5 reference latencies on a NUCLEO-L4R5ZI (-21.7 % to -28.9 % with every fetch hitting)',
  'cortex-m33':
    "error +11.5 % (micro_speech) and -8.8 % (hello_world) against published DWT counts of another TFLite Micro build; -6.7 % (KWS), -8.8 % (VWW), -8.6 % (IC), +0.5 % (AD) with the C-cache replayed (its capacity assumed) against Renesas's MLPerf Tiny v0.7 latencies on an EK-RA6M4 (-7.0 % to -16.0 % with every access hitting)",
  'cortex-m7': 'error +36 % to +51 % (over) on a published timing of a FIR loop, whole inference not measured',
  rv32imc: "error -5.3 % (with ESP-NN) and -2.5 % (without) against esp-tflite-micro's person_detection latencies measured on an ESP32-C3",
  'xtensa-lx6': "error +11.3 % (with ESP-NN) and +6.0 % (without) against esp-tflite-micro's person_detection latencies measured on an ESP32",
  'xtensa-lx7': "error -8.1 % (with ESP-NN) and +2.6 % (without) against esp-tflite-micro's person_detection latencies measured on an ESP32-S3",
  'cortex-m55':
    'error not validated: no published cycle count of a traced build on a Cortex-M55 was compared (a DWT-timed MVE loop or inference on an Alif Ensemble or STM32N6 would validate it)',
  'cortex-m85':
    "error +6.1 % (KWS), +0.9 % (VWW), +16.0 % (IC), -5.6 % (AD) with the L1 caches replayed, against Renesas's MLPerf Tiny v1.2 latencies on an EK-RA8D1",
};

/** The stated error of `core`'s table, with where it is documented. */
export function statedError(core: string): string {
  return `${STATED_ERROR[core] ?? 'error not measured'} (docs/timing.md)`;
}
