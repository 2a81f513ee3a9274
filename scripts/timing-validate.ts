// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run timing:validate`: the Cortex-M0+ timing model against rp2040js's own cycle count (an
 * independent timing model) over the same inference of the same binary, on every shared model
 * (../shared/models). Prints one row per model and fails past 3 %.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runModel } from '../src/run/run.ts';

const models = resolve(import.meta.dirname, '..', '..', 'shared', 'models');
if (!existsSync(models)) {
  console.error(`${models}: not found; the validation needs the shared models`);
  process.exit(2);
}
const only = process.argv.slice(2);
let worst = 0;
console.log('model                      rp2040js cycles   estimated   error');
for (const file of readdirSync(models)
  .filter((f) => f.endsWith('.tflite'))
  .sort()) {
  const name = file.replace(/\.tflite$/, '');
  if (only.length > 0 && !only.includes(name)) continue;
  let reference: number | null = null;
  const report = await runModel(join(models, file), { target: 'rp2040', onReferenceCycles: (c) => (reference = c) });
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
console.log(`worst |error| ${(worst * 100).toFixed(2)} % (bar: 3 %)`);
process.exit(worst <= 0.03 ? 0 : 1);
