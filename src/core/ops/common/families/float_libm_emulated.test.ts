// SPDX-License-Identifier: Apache-2.0
/**
 * The float32 kernels that call libm (LOGISTIC, TANH, ELU, EXP, LOG, SOFTMAX, LOG_SOFTMAX)
 * on the emulated Cortex-M4 (newlib, single-precision FPU) and Cortex-M0 (newlib, soft-float) and
 * on the host (glibc): every output within its op's ULP bound (FLOAT_LIBM_ULP) of the TypeScript
 * reference and of TFLite Micro, over inputs with zeros of both signs, subnormals, infinities, NaNs
 * and the whole exponent range. `run` itself checks the same bounds (matchesReference).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveTflite } from '../../../../lab/model_files.ts';
import { runModel } from '../../../../lab/run/run.ts';
import { toBytes } from '../../../ir/buffers.ts';
import { FLOAT_LIBM_ULP } from './float_libm.ts';
import { requireTools } from '../../../../../test/build/helpers.ts';
import { tflmRefAvailable } from '../../../../../test/helpers/tflm_ref.ts';
import { libmSweepCases, libmSweepModel, measureUlps } from '../../../../../test/helpers/float_libm_sweep.ts';

// the Cortex-M0 board has 16 KiB of RAM: 4 rows of 32 for the input and each of the seven outputs
// (TINYFORGE_LIBM_ROWS and TINYFORGE_LIBM_CASES widen the sweep, as for the figures in docs/kernels.md)
const ROWS = Number(process.env.TINYFORGE_LIBM_ROWS ?? 4);
const CASES = Number(process.env.TINYFORGE_LIBM_CASES ?? 24);

describe('float32 libm kernels within their ULP bounds (host, emulated Cortex-M4 and Cortex-M0)', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-libm-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const target of ['host', 'cortex-m4', 'cortex-m0']) {
    it(`on ${target}: every op within its bound of the reference and of TFLite Micro`, async function () {
      if (target !== 'host') requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      const graph = libmSweepModel(ROWS);
      const path = join(dir, `libm_${target.replace(/\W/g, '')}.tflite`);
      saveTflite(path, graph);
      const cases = libmSweepCases(graph, CASES, 83);
      const report = await runModel(path, { target, cases, sanitize: target === 'host' });
      const actual = report.cases.map((c) => c.outputs.map((o) => new Uint8Array(toBytes(Float32Array.from(o)))));
      // NaNs come back as numbers: their bits are the canonical NaN, which the ULP distance counts as any NaN
      const measured = measureUlps(graph, cases, actual, tflmRefAvailable(this));
      if (process.env.TINYFORGE_PRINT_ULPS) console.log(target, JSON.stringify(measured));
      for (const m of measured) {
        const bound = FLOAT_LIBM_ULP[m.kind]!;
        expect(m.vsReference, `${m.kind} on ${target} against the TS reference`).to.be.at.most(bound);
        if (m.vsTflm !== null) expect(m.vsTflm, `${m.kind} on ${target} against TFLite Micro`).to.be.at.most(bound);
      }
      expect(report.matchesReference, 'run compares within the bounds').to.equal(true);
      expect(report.floatTolerance?.ulps).to.deep.equal(measured.map((m) => FLOAT_LIBM_ULP[m.kind]));
    });
  }
});
