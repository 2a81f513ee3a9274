// SPDX-License-Identifier: Apache-2.0
/**
 * `--prefer size` links with GCC's link-time optimization where the target lists it (`sizeFlags` in
 * targets/*.json): the example MNIST CNN, built that way for every such target, runs on each one's
 * emulated board with outputs equal to the host reference's, and the units that define naked
 * functions (assembly naming C symbols LTO cannot see) are compiled without it.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { listTargets, loadTarget } from '../../src/core/targets/targets.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { seededRandom } from '../../examples/mnist/dataset.ts';
import { requireTools, scratchDir } from './helpers.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const MODEL = join(ROOT, 'examples/mnist/mnist_cnn_int8.tflite');

describe('--prefer size: link-time optimization on the MCU targets that list it', function () {
  const scratch = scratchDir('lto');
  after(() => scratch.cleanup());
  const targets = listTargets().filter((name) => (loadTarget(name).toolchain.sizeFlags ?? []).includes('-flto'));

  it('is listed for the Arm and RISC-V GCC targets', () => {
    expect(targets).to.include.members(['cortex-m0', 'cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55', 'cortex-m85', 'rp2040', 'esp32c3']);
  });

  for (const name of ['cortex-m0', 'cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55', 'cortex-m85', 'rp2040', 'esp32c3']) {
    it(`${name}: the MNIST CNN built with -flto runs bit-exact on the emulated board`, async function () {
      const target = loadTarget(name);
      requireTools(this, [target.toolchain.cc]);
      const random = seededRandom(17);
      const cases = Array.from({ length: 2 }, () => [Uint8Array.from({ length: 28 * 28 }, () => Math.floor(random() * 256))]);
      const workDir = join(scratch.dir, name);
      const report = await runModel(MODEL, { target: name, cases, prefer: 'size', workDir, estimate: false });
      expect(report.matchesReference).to.equal(true);
      const log = readFileSync(join(workDir, 'build', 'build.log'), 'utf8');
      const commands = log.split('\n').filter((l) => l.startsWith('$ '));
      const link = commands.find((l) => !l.includes(' -c '))!;
      expect(link).to.include(' -flto');
      for (const compile of commands.filter((l) => l.includes(' -c '))) {
        const source = / -c (\S+)/.exec(compile)![1]!;
        const naked = /__attribute__\(\([^)]*\bnaked\b/.test(readFileSync(source, 'utf8'));
        expect(compile.includes(' -flto'), source).to.equal(!naked);
      }
    });
  }
});
