import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { buildFirmware, loadTarget, type BuildResult } from '../../src/build/index.ts';
import { renderCasesC } from '../../src/build/cases.ts';
import {
  FAKE_IO_BYTES, FAKE_MODEL_DIR, atInvokeStart, expectRejection, fakeModelVariant, requireTools, scratchDir, withEmptyPath,
} from './helpers.ts';

describe('build: cortex-m targets', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let m4: BuildResult;
  const cases = [new Uint8Array(FAKE_IO_BYTES).fill(1), new Uint8Array(FAKE_IO_BYTES).fill(2), new Uint8Array(FAKE_IO_BYTES).fill(3)];

  before(async function () {
    requireTools(this, ['arm-none-eabi-gcc', 'arm-none-eabi-size']);
    scratch = scratchDir('cm-build');
    m4 = await buildFirmware({ target: 'cortex-m4', modelDir: FAKE_MODEL_DIR, cases, outDir: `${scratch.dir}/m4` });
  });
  after(() => scratch?.cleanup());

  it('links for the default board and measures the sections by name', () => {
    expect(m4.board).to.equal('qemu-mps2-an386');
    const s = m4.sizes;
    expect(s.flashWeights).to.equal(256);
    expect(s.flashCases).to.equal(3 * FAKE_IO_BYTES);
    expect(s.flash).to.equal(s.text + s.rodata + s.flashWeights + s.data);
    expect(s.ram).to.equal(s.data + s.bss);
    expect(s.bss).to.be.at.least(48); // the fake model's arena
    expect(s.stackReserved).to.equal(loadTarget('cortex-m4').memory?.stackBytes);
    const map = readFileSync(m4.mapFile!, 'utf8');
    expect(map).to.match(/^\.tf_weights\s+0x[0-9a-f]+\s+0x100$/m);
    expect(map).to.include('tf_fake_xor_key');
  });

  it('builds warning-free for every Cortex-M target (firmware and harness under -Werror)', async () => {
    for (const target of ['cortex-m3', 'cortex-m7']) {
      const built = await buildFirmware({ target, modelDir: FAKE_MODEL_DIR, cases, outDir: `${scratch.dir}/${target}`, profile: true });
      expect(built.sizes.flashWeights, target).to.equal(256);
    }
  });

  it('has no heap: a model that calls malloc does not link', async () => {
    const dir = fakeModelVariant(scratch.dir, 'malloc', (c) =>
      atInvokeStart('if (malloc(4) == 0) return 1;')(c.replace('#include "model.h"', '#include "model.h"\n#include <stdlib.h>')),
    );
    const build = buildFirmware({ target: 'cortex-m4', modelDir: dir, cases, outDir: `${scratch.dir}/malloc-out` });
    await expectRejection(build, /^linking for cortex-m4 failed: .*undefined reference to `_sbrk'/);
  });

  it('refuses sanitizers for an MCU target', async () => {
    const build = buildFirmware({ target: 'cortex-m4', modelDir: FAKE_MODEL_DIR, cases, outDir: `${scratch.dir}/san`, sanitize: true });
    await expectRejection(build, /sanitizers are only available for the host target, not cortex-m4/);
  });

  it('names the missing cross compiler and how to install it', async () => {
    await withEmptyPath(async () => {
      const build = buildFirmware({ target: 'cortex-m4', modelDir: FAKE_MODEL_DIR, cases, outDir: `${scratch.dir}/nopath` });
      await expectRejection(
        build,
        /^arm-none-eabi-gcc not found: install it with: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi$/,
      );
    });
  });
});

describe('build: cases.c', () => {
  it('bakes every case with its length into the tf_cases section', () => {
    const c = renderCasesC([Uint8Array.from([1, 2, 255]), new Uint8Array(0)]);
    expect(c).to.include('static const uint8_t case_0[3] = {\n  0x01, 0x02, 0xff,\n};');
    expect(c).to.include('__attribute__((section(".rodata.tf_cases.c1"), aligned(16)))');
    expect(c).to.include('const unsigned tf_num_cases = 2u;');
    expect(c).to.include('const uint8_t *const tf_case_inputs[2] = {case_0, case_1};');
    // the empty case keeps length 0 so that the harness rejects it
    expect(c).to.include('const size_t tf_case_bytes[2] = {3u, 0u};');
  });

  it('still compiles as C with no cases', () => {
    const c = renderCasesC([]);
    expect(c).to.include('const unsigned tf_num_cases = 0u;');
    expect(c).to.include('tf_case_inputs[1] = {0};');
  });
});
