// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run timing:tflm [model ...]`: the Cortex-M4, M7 and M33 timing models over TFLite Micro +
 * CMSIS-NN's own instruction stream, to hold them against published latencies of that stack on real
 * boards (docs/timing.md, Validation).
 *
 * The firmware is tflm-cmsis-m4/tflm_cmsis_m4.elf (test/helpers/runtimes.ts finds it) (TFLM + CMSIS-NN for QEMU mps2-an386,
 * any .tflite loaded at start-up; read-only, executed as is). Our QEMU timing plugin traces it, cut at
 * the firmware's bench_marker_begin / bench_marker_end (one Invoke), and each table prices the stream
 * as for a board whose flash accelerator or caches hide the wait states (our boards' assumption, the
 * STM32F4's ART, the M7's L1 caches); the Armv7E-M code runs unchanged on the M7 and the M33. Prints
 * the traced instructions, the estimated cycles and ms at the published boards' clocks (M4 100 MHz,
 * M7 216 MHz, M33 150 MHz), and the M4 with 3 wait states on every fetch.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CORTEX_M33, CORTEX_M4, CORTEX_M7, ZERO_WAIT } from '../src/lab/estimate/timing/cores.ts';
import { mergeSegments, priceInstructions } from '../src/lab/estimate/timing/index.ts';
import { decodeThumb } from '../src/lab/estimate/timing/thumb.ts';
import { buildTimingPlugin, pluginArgument, readPluginTrace } from '../src/lab/estimate/timing/trace.ts';
import { missingRuntimeNotice, runtimePath } from '../test/helpers/runtimes.ts';

const shared = resolve(import.meta.dirname, '..', '..', 'shared');
const elf = runtimePath('tflm-cmsis-m4-elf');
if (!existsSync(elf)) {
  console.error(missingRuntimeNotice('tflm-cmsis-m4-elf', 'this comparison needs TFLite Micro + CMSIS-NN for the emulated M4'));
  process.exit(2);
}
const models = process.argv.slice(2).length ? process.argv.slice(2) : ['person_detect'];

const symbols = execFileSync('arm-none-eabi-nm', [elf], { encoding: 'utf8' });
const symbol = (name: string): number => {
  const line = symbols.split('\n').find((l) => l.endsWith(` ${name}`));
  if (!line) throw new Error(`${elf}: no symbol ${name}`);
  return (parseInt(line.split(' ')[0]!, 16) & ~1) >>> 0;
};
const begin = symbol('bench_marker_begin');
const end = symbol('bench_marker_end');

/** QEMU loader arguments: the firmware reads a header, the model and its arena from PSRAM (16 MB at 0x21000000). */
function loaders(model: string): string[] {
  const header = 0x21000000;
  const modelAt = 0x21000100;
  const size = statSync(model).size;
  const inputAt = Math.ceil((modelAt + size) / 16) * 16;
  const arenaAt = Math.max(Math.ceil(inputAt / 4096) * 4096, 0x21800000);
  const word = (i: number, v: number) => ['-device', `loader,addr=0x${(header + 4 * i).toString(16)},data=0x${v.toString(16)},data-len=4`];
  // magic 'TFLM', model address and size, no input (inputs at their zero point), arena address and size
  return [
    ...word(0, 0x4d4c4654),
    ...word(1, modelAt),
    ...word(2, size),
    ...word(3, inputAt),
    ...word(4, 0),
    ...word(5, arenaAt),
    ...word(6, 0x22000000 - arenaAt),
    '-device',
    `loader,file=${model},addr=0x${modelAt.toString(16)},force-raw=on`,
  ];
}

const plugin = buildTimingPlugin();
// The same instruction stream priced by three tables: the Armv7E-M code runs unchanged on the
// Cortex-M7 and on the Cortex-M33 (Armv8-M Mainline with the DSP extension), so each table's figure is
// what it predicts for that core on this code, caches/accelerator hitting (ZERO_WAIT), at the clocks
// of the boards with published latencies (docs/timing.md, Validation). The other M4 bound: no
// accelerator, 3 wait states (an STM32F4 at 100 MHz) on every fetch word, taken branch and literal load.
const noAccelerator = { perFetchWord: 3, perTakenBranch: 3, perFlashRead: 3, codeInFlash: true };
const ms = (c: number, hz: number) => ((c / hz) * 1000).toFixed(1);
/**
 * Published DWT cycle counts of TFLM + CMSIS-NN (Zephyr 4.3's module, -Os) on an FRDM-MCXN947
 * (Cortex-M33, 150 MHz): shanemmattner/embedded-agent-bridge docs/ml-benchmark-comparison.md
 * (2026-02-24; its "sine" is the hello_world example). docs/timing.md says which are comparable.
 */
const MCXN947_CYCLES: Record<string, number> = { hello_world_int8: 4_813, micro_speech: 1_705_940, person_detect: 11_526_407 };
const comparisons: string[] = [];
console.log('TFLM + CMSIS-NN (tflm-cmsis-m4), one Invoke, priced by the M4, M7 and M33 tables, all fetches hitting');
console.log(
  'model                  traced insns   M4 cycles (c/insn)     M4 ms @100 MHz   M4 ms @100 MHz 3 WS no accel   M7 cycles (c/insn)    M7 ms @216 MHz   M33 cycles (c/insn)   M33 ms @150 MHz',
);
for (const name of models) {
  const model = join(shared, 'models', `${name}.tflite`);
  const dir = mkdtempSync(join(tmpdir(), 'tf-timing-tflm-'));
  try {
    const out = join(dir, 'trace.txt');
    execFileSync(
      'qemu-system-arm',
      [
        ...['-M', 'mps2-an386', '-cpu', 'cortex-m4', '-nographic', '-monitor', 'none', '-serial', 'null', '-icount', 'shift=0'],
        ...['-semihosting-config', 'enable=on,target=native', '-plugin', pluginArgument(plugin, [begin, end], out), '-kernel', elf],
        ...loaders(model),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 1_800_000 },
    );
    const trace = readPluginTrace(out);
    const window = trace.segments.filter((s) => s.opener === begin);
    if (window.length !== 1) throw new Error(`${name}: expected one Invoke window, got ${window.length}`);
    const { counts } = mergeSegments(window, trace);
    const price = (core: typeof CORTEX_M4) => priceInstructions(counts, decodeThumb, core, ZERO_WAIT);
    const { cycles: m4, instructions } = price(CORTEX_M4);
    const m7 = price(CORTEX_M7).cycles;
    const m33 = price(CORTEX_M33).cycles;
    const slow = priceInstructions(counts, decodeThumb, CORTEX_M4, noAccelerator).cycles;
    const withCpi = (c: number) => `${c} (${(c / instructions).toFixed(3)})`;
    const published = MCXN947_CYCLES[name];
    if (published)
      comparisons.push(
        `${name.padEnd(22)} ${String(m33).padStart(14)} ${String(published).padStart(16)} ${(((m33 - published) / published) * 100).toFixed(1).padStart(8)} %`,
      );
    console.log(
      `${name.padEnd(22)} ${String(instructions).padStart(12)} ${withCpi(m4).padStart(20)} ${ms(m4, 100e6).padStart(16)} ${ms(slow, 100e6).padStart(30)} ${withCpi(m7).padStart(20)} ${ms(m7, 216e6).padStart(16)} ${withCpi(m33).padStart(21)} ${ms(m33, 150e6).padStart(17)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (comparisons.length) {
  console.log('\nM33 table vs published DWT cycles on an FRDM-MCXN947 (another build of the stack; see docs/timing.md)');
  console.log('model                  M33 estimated   published cycles     error');
  for (const line of comparisons) console.log(line);
}
