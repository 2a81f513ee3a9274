// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { buildFirmware, loadTarget, type BuildResult } from '../../src/lab/toolchain/index.ts';
import { FAKE_MODEL_DIR, atInvokeStart, expectRejection, fakeModelVariant, requireTools, scratchDir, withEmptyPath } from './helpers.ts';

describe('build: cortex-m targets', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let m4: BuildResult;

  before(async function () {
    requireTools(this, ['arm-none-eabi-gcc', 'arm-none-eabi-size']);
    scratch = scratchDir('cm-build');
    m4 = await buildFirmware({ target: 'cortex-m4', modelDir: FAKE_MODEL_DIR, outDir: `${scratch.dir}/m4` });
  });
  after(() => scratch?.cleanup());

  it('links for the default board and measures the sections by name', () => {
    expect(m4.board).to.equal('qemu-mps2-an386');
    const s = m4.sizes;
    expect(s.flashWeights).to.equal(256);
    expect(s.flashCases).to.equal(0); // inputs come over the device protocol, none are baked in
    expect(m4.buildId).to.match(/^[0-9a-f]{16}$/);
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
      const built = await buildFirmware({ target, modelDir: FAKE_MODEL_DIR, outDir: `${scratch.dir}/${target}`, profile: true });
      expect(built.sizes.flashWeights, target).to.equal(256);
    }
  });

  it('optimizeForSize (--prefer size) compiles the harness, startup and drivers at -Os, the model at the target -O; a smaller image, another build id', async () => {
    const small = await buildFirmware({ target: 'cortex-m4', modelDir: FAKE_MODEL_DIR, outDir: `${scratch.dir}/m4-size`, optimizeForSize: true });
    const log = readFileSync(`${scratch.dir}/m4-size/build.log`, 'utf8');
    const compiles = log.split('\n').filter((l) => l.startsWith('$ ') && l.includes(' -c '));
    expect(compiles.filter((l) => l.includes('/obj/fw_')).length).to.be.above(3);
    for (const l of compiles) expect(l, l).to.include(l.includes('/obj/fw_') ? ' -Os ' : ' -O2 ');
    expect(small.sizes.text).to.be.below(m4.sizes.text);
    expect(small.buildId).to.not.equal(m4.buildId);
  });

  it('has no heap: a model that calls malloc does not link', async () => {
    const dir = fakeModelVariant(scratch.dir, 'malloc', (c) =>
      atInvokeStart('if (malloc(4) == 0) return 1;')(c.replace('#include "model.h"', '#include "model.h"\n#include <stdlib.h>')),
    );
    const build = buildFirmware({ target: 'cortex-m4', modelDir: dir, outDir: `${scratch.dir}/malloc-out` });
    await expectRejection(build, /^linking for cortex-m4 failed: .*undefined reference to `_sbrk'/);
  });

  it('refuses sanitizers for an MCU target', async () => {
    const build = buildFirmware({ target: 'cortex-m4', modelDir: FAKE_MODEL_DIR, outDir: `${scratch.dir}/san`, sanitize: true });
    await expectRejection(build, /sanitizers are only available for the host target, not cortex-m4/);
  });

  it('names the missing cross compiler and how to install it', async () => {
    await withEmptyPath(async () => {
      const build = buildFirmware({ target: 'cortex-m4', modelDir: FAKE_MODEL_DIR, outDir: `${scratch.dir}/nopath` });
      await expectRejection(build, /^arm-none-eabi-gcc not found: install it with: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi$/);
    });
  });
});
