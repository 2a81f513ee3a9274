// SPDX-License-Identifier: Apache-2.0
/**
 * The ESP32-S3 SIMD kernels built by Espressif's S3 compiler are the ee.* instructions themselves,
 * not the host's functional model: a 1x1 conv, a 3x3 conv and an FC layer compiled with
 * xtensa-esp32s3-elf-gcc and the target's flags, then disassembled. QEMU 7.2 cannot run them, so
 * their results are checked on the host through the model (conv_2d/s3simd.test.ts, ...). Skips
 * without the S3's compiler (CI has none; the lx106 fallback's assembler lacks the instructions).
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { findCompiler } from '../../src/lab/toolchain/compilers.ts';
import { writeDirectoryAtomically } from '../../src/lab/output.ts';
import { randomInt8, rng, singleOpGraph } from '../helpers/op_harness.ts';
import { scratchDir } from './helpers.ts';
import { skipAbsent } from '../helpers/absent.ts';

const rand = rng(4311);
const window = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' as const };
const LAYERS = {
  'conv 1x1': singleOpGraph(
    'CONV_2D',
    [{ shape: [1, 8, 8, 64], scale: 0.02, zeroPoint: 3 }, { shape: [64, 1, 1, 64], scale: 0.01, data: randomInt8(rand, 64 * 64) }, null],
    [{ shape: [1, 8, 8, 64], scale: 0.1, zeroPoint: -2 }],
    { padding: 'VALID', ...window },
  ),
  'conv 3x3': singleOpGraph(
    'CONV_2D',
    [{ shape: [1, 8, 8, 16], scale: 0.02, zeroPoint: 3 }, { shape: [32, 3, 3, 16], scale: 0.01, data: randomInt8(rand, 32 * 9 * 16) }, null],
    [{ shape: [1, 8, 8, 32], scale: 0.1, zeroPoint: -2 }],
    { padding: 'SAME', ...window },
  ),
  'depthwise 5x5': singleOpGraph(
    'DEPTHWISE_CONV_2D',
    [{ shape: [1, 8, 8, 40], scale: 0.02, zeroPoint: 3 }, { shape: [1, 5, 5, 40], scale: 0.01, data: randomInt8(rand, 25 * 40) }, null],
    [{ shape: [1, 8, 8, 40], scale: 0.1, zeroPoint: -2 }],
    { padding: 'SAME', depthMultiplier: 1, ...window },
  ),
  fc: singleOpGraph(
    'FULLY_CONNECTED',
    [{ shape: [1, 256], scale: 0.02, zeroPoint: 3 }, { shape: [64, 256], scale: 0.01, data: randomInt8(rand, 64 * 256) }, null],
    [{ shape: [1, 64], scale: 0.1, zeroPoint: -2 }],
    { activation: 'NONE', keepNumDims: false },
  ),
};

describe('build: ESP32-S3 SIMD kernels on the S3 compiler', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let compiler: ReturnType<typeof findCompiler> | undefined;
  const target = loadTarget('esp32s3');

  before(function () {
    try {
      compiler = findCompiler(target);
    } catch {
      compiler = undefined;
    }
    if (!compiler || compiler.fallback !== null) {
      skipAbsent('xtensa-esp32s3-elf-gcc not found', 'skipping the S3 SIMD disassembly checks', this, false);
    }
    scratch = scratchDir('s3simd');
  });
  after(() => scratch?.cleanup());

  /** The mnemonics of `graph` compiled for the S3 and disassembled, and the object's symbols. */
  function disassemble(name: string, graph: (typeof LAYERS)[keyof typeof LAYERS]['graph']): { mnemonics: (string | undefined)[]; symbols: string } {
    const compiled = compileGraph(graph, 'layer.tflite', { isa: target.isa });
    const dir = join(scratch.dir, name.replace(/\W/g, '_'));
    const modelDir = writeDirectoryAtomically(join(dir, 'model'), compiled.generated.files);
    const source = compiled.generated.files.find((f) => f.role === 'source')!.name;
    const object = join(dir, 'layer.o');
    execFileSync(compiler!.path, [...compiler!.cflags, '-Wpedantic', '-I', modelDir, '-c', join(modelDir, source), '-o', object]);
    const objdump = compiler!.path.replace(/gcc$/, 'objdump');
    const listing = execFileSync(objdump, ['-d', object], { encoding: 'utf8' });
    return {
      mnemonics: listing.split('\n').map((l) => l.split('\t')[2]?.trim()),
      symbols: execFileSync(compiler!.path.replace(/gcc$/, 'nm'), [object], { encoding: 'utf8' }),
    };
  }

  for (const [name, { graph }] of Object.entries(LAYERS)) {
    if (name.startsWith('depthwise')) continue;
    it(`${name}: the inner loop is ee.vld.128.ip and ee.vmulas.s8.accx.ld.ip, no model state`, function () {
      const { mnemonics, symbols } = disassemble(name, graph);
      for (const m of ['ee.zero.accx', 'ee.vld.128.ip', 'ee.vmulas.s8.accx.ld.ip', 'ee.vmulas.s8.accx', 'rur.accx_0']) expect(mnemonics, m).to.include(m);
      expect(symbols).not.to.include('tf_s3_state');
    });
  }

  it('depthwise 5x5: per tap two ee.vld.128.ip and an ee.vmulas.s8.qacc, QACC read by its four stores, no model state', function () {
    const { mnemonics, symbols } = disassemble('depthwise 5x5', LAYERS['depthwise 5x5'].graph);
    for (const m of [
      'ee.zero.qacc',
      'ee.vld.128.ip',
      'ee.vmulas.s8.qacc',
      'ee.st.qacc_l.l.128.ip',
      'ee.st.qacc_l.h.32.ip',
      'ee.st.qacc_h.l.128.ip',
      'ee.st.qacc_h.h.32.ip',
    ])
      expect(mnemonics, m).to.include(m);
    expect(symbols).not.to.include('tf_s3_state');
  });
});
