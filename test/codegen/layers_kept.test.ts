// SPDX-License-Identifier: Apache-2.0
/**
 * Every layer runs, whatever GCC's optimiser makes of the arena's addresses. GCC 12's loop optimiser
 * can rewrite a copy between two constant offsets of the one static arena (a TRANSPOSE of source
 * stride 2, 4 or 8) into an address with a null base; with null-pointer reasoning on, its pure/const
 * analysis then took the layer's function for const and dropped the call, so the layer silently did
 * not run (x86-64 and Arm at -O1 and up; a RetinaFace with 95 TRANSPOSEs differed from TFLite Micro
 * in 35,963 of 51,200 output bytes). model.c turns that reasoning off (templates/model.c.hbs). The
 * model here is the smallest batch of the fuzzer's NCHW chains that showed it: built without
 * sanitizers (ASan keeps the call), as `run --target host` and the boards build.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchSpecs, buildBatch, loadGenerators } from '../fuzz/batch.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { requireTools, scratchDir } from '../build/helpers.ts';

describe('codegen: no layer is dropped by the C compiler', function () {
  it('NCHW chains with transposes (seed 2, components 11-23 of batch 0): bit-exact on the host at -O1 and on the emulated M3 and M4', async function () {
    requireTools(this, ['cc', 'arm-none-eabi-gcc', 'qemu-system-arm']);
    const generators = (await loadGenerators()).filter((g) => g.name === 'chain-nchw');
    const specs = batchSpecs(generators, 2, 0, 24, 0, ['int8']).slice(11, 24);
    const batch = buildBatch('transposes_kept', specs, generators);
    const scratch = scratchDir('layers-kept');
    try {
      const path = join(scratch.dir, 'transposes_kept.tflite');
      writeFileSync(path, writeTflite(batch.graph));
      for (const target of ['host', 'cortex-m3', 'cortex-m4']) {
        const report = await runModel(path, { target, sanitize: false, estimate: false, cases: batch.cases.slice(0, 1) });
        expect(report.matchesReference, target).to.equal(true);
      }
    } finally {
      scratch.cleanup();
    }
  });
});
