// SPDX-License-Identifier: Apache-2.0
/**
 * The generated C builds unoptimised too (a user's Debug build, -O0), for every Arm DSP core: the
 * kernels whose inline assembly pins more registers than GCC can give at -O0 fall back to their C.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { writeDirectoryAtomically } from '../../src/lab/output.ts';
import { isCompiledSource } from '../../src/lab/toolchain/toolchain.ts';
import { kwsDsCnn } from '../helpers/kws_model.ts';
import { resnet8 } from '../helpers/resnet_model.ts';
import { requireTools, scratchDir } from './helpers.ts';

describe('build: the generated C at -O0 (a Debug build)', function () {
  it('KWS DS-CNN and ResNet-8 compile warning-free at -O0 for the M4, M7, M33, M55 and M85', function () {
    requireTools(this, ['arm-none-eabi-gcc']);
    const scratch = scratchDir('debug-build');
    try {
      for (const [name, graph] of [
        ['kws', kwsDsCnn()],
        ['resnet8', resnet8()],
      ] as const) {
        for (const t of ['cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55', 'cortex-m85']) {
          const target = loadTarget(t);
          const compiled = compileGraph(graph, name, { isa: target.isa });
          const dir = writeDirectoryAtomically(join(scratch.dir, `${name}-${t}`), compiled.generated.files);
          const flags = [...target.toolchain.cflags.filter((f) => !f.startsWith('-O')), '-O0', '-Werror'];
          for (const f of compiled.generated.files.filter((x) => isCompiledSource(x.name))) {
            const r = spawnSync(target.toolchain.cc, [...flags, '-c', join(dir, f.name), '-o', '/dev/null'], { encoding: 'utf8' });
            expect(r.status, `${name} ${t} ${f.name}: ${r.stderr}`).to.equal(0);
          }
        }
      }
    } finally {
      scratch.cleanup();
    }
  });
});
