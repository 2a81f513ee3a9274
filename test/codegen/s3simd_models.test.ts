// SPDX-License-Identifier: Apache-2.0
/**
 * The shared models compiled for the ESP32-S3's chip (family xtensa-s3: the SIMD conv and FC kernels)
 * and built for the host, where xtensa_s3_simd.h's functional model stands in for the ee.*
 * instructions: every golden case bit-exact with TFLite Micro. The emulated S3 board cannot run
 * these kernels (QEMU 7.2 has no ee.*), so this is where whole models check them.
 */
import { expect } from 'chai';
import { basename } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { withTargetBuild } from '../../src/lab/run/device-build.ts';
import { runOnHost } from '../../src/lab/device/host.ts';
import { goldenCases, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { requireTools } from '../build/helpers.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

const MODELS = ['hello_world_int8', 'micro_speech', 'person_detect', 'mnist_lstm_int8'];

describe('codegen: the shared models on the S3 SIMD kernels, through the functional model on the host', function () {
  before(function () {
    sharedModelsAvailable(this);
    requireTools(this, ['cc']);
  });

  for (const name of MODELS) {
    it(`${name}: every golden case bit-exact with TFLite Micro`, async function () {
      const path = sharedModelPath(name);
      const compiled = compileGraph(readTflite(path), basename(path), { isa: loadTarget('esp32s3').isa });
      const families = new Set(compiled.prepared.layers.map((l) => l.variant.family));
      if (name !== 'mnist_lstm_int8') expect([...families]).to.include('xtensa-s3');
      const cases = goldenCases(name);
      const expected = Buffer.concat(cases.map((c) => c.output));
      const host = loadTarget('host');
      const got = await withTargetBuild(compiled, host, undefined, { profile: false, progress: () => {} }, async ({ build }) =>
        runOnHost(build.elf, Buffer.concat(cases.map((c) => c.input)), { timeoutMs: HANG_GUARD_MS }),
      );
      expect(Buffer.from(got.outputs).equals(expected), name).to.equal(true);
    });
  }

  it('person_detect in row bands (the patch stage re-emits its first convolutions per band): bit-exact', async function () {
    const path = sharedModelPath('person_detect');
    const compiled = compileGraph(readTflite(path), basename(path), { isa: loadTarget('esp32s3').isa, patch: 'auto' });
    expect(compiled.patch).to.not.equal(undefined);
    const cases = goldenCases('person_detect');
    const got = await withTargetBuild(compiled, loadTarget('host'), undefined, { profile: false, progress: () => {} }, async ({ build }) =>
      runOnHost(build.elf, Buffer.concat(cases.map((c) => c.input)), { timeoutMs: HANG_GUARD_MS }),
    );
    expect(Buffer.from(got.outputs).equals(Buffer.concat(cases.map((c) => c.output)))).to.equal(true);
  });
});
