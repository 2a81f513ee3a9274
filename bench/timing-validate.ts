// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run timing:validate [model ...]`: on every shared model (../shared/models),
 *
 * 1. the Cortex-M0+ timing model against rp2040js's own cycle count (an independent timing model)
 *    over the same inference of the same binary; fails past 3 %;
 * 2. for the QEMU cores (M3, M4, M7, M33, RV32IMC): the instructions the timing plugin traced
 *    against the firmware's exact counter (SysTick / minstret under -icount: the trace must see the
 *    stream the counter counts), and the estimate's cycles per instruction.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runModel } from '../src/lab/run/run.ts';

const models = resolve(import.meta.dirname, '..', '..', 'shared', 'models');
if (!existsSync(models)) {
  console.error(`${models}: not found; the validation needs the shared models`);
  process.exit(2);
}
const only = process.argv.slice(2);
const names = readdirSync(models)
  .filter((f) => f.endsWith('.tflite'))
  .map((f) => f.replace(/\.tflite$/, ''))
  .filter((n) => only.length === 0 || only.includes(n))
  .sort();

let worst = 0;
console.log('RP2040: Cortex-M0+ table vs rp2040js, same binary, same window (bar 3 %)');
console.log('model                      rp2040js cycles   estimated   error');
for (const name of names) {
  let reference: number | null = null;
  const report = await runModel(join(models, `${name}.tflite`), { target: 'rp2040', onReferenceCycles: (c) => (reference = c) });
  const estimated = report.cycleEstimate?.perInference ?? null;
  if (reference === null || estimated === null) {
    console.log(`${name.padEnd(26)} no figures`);
    worst = Infinity;
    continue;
  }
  const error = (estimated - reference) / reference;
  worst = Math.max(worst, Math.abs(error));
  console.log(`${name.padEnd(26)} ${String(reference).padStart(15)} ${String(estimated).padStart(11)} ${(error * 100).toFixed(2).padStart(6)} %`);
}
console.log(`worst |error| ${(worst * 100).toFixed(2)} % (bar: 3 %)\n`);

console.log('QEMU cores: traced instructions vs the exact counter; estimated cycles per instruction');
console.log('model                      target      exact count   traced insns   estimated   cycles/insn');
for (const name of names) {
  for (const target of ['cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'esp32c3']) {
    let traced: number | null = null;
    let line: string;
    try {
      const report = await runModel(join(models, `${name}.tflite`), { target, onReferenceCycles: (_c, i) => (traced = i) });
      const e = report.cycleEstimate?.perInference ?? null;
      line = `${String(report.perInference).padStart(12)} ${String(traced).padStart(14)} ${String(e).padStart(11)} ${e && traced ? (e / traced).toFixed(3).padStart(13) : ''}`;
    } catch (err) {
      line = `  ${(err as Error).message.split('\n')[0]!.slice(0, 80)}`;
    }
    console.log(`${name.padEnd(26)} ${target.padEnd(11)} ${line}`);
  }
}
process.exit(worst <= 0.03 ? 0 : 1);
