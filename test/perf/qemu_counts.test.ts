// SPDX-License-Identifier: Apache-2.0
/**
 * On the emulated Cortex-M4: a model whose layers take the DSP variants (micro_speech: its depthwise
 * layer as an im2col convolution) runs bit-exact with the recorded TFLite Micro output, and our
 * instruction-counting plugin's figure for one inference equals SysTick x 40 within a tick or two
 * (SysTick also sees the counter reads around the call). Correctness only: no timing assertions.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import { writeDirectoryAtomically } from '../../src/lab/output.ts';
import { loadGraph } from '../../src/core/model/load.ts';
import { buildFirmware, loadTarget } from '../../src/lab/toolchain/index.ts';
import { runOnBoard } from '../../src/lab/device/index.ts';
import { buildPlugin, invokeWindow, pluginWrapper } from '../../bench/plugin.ts';
import { goldenCases, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { skipAbsent } from '../helpers/absent.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

function haveTools(): boolean {
  try {
    execFileSync('qemu-system-arm', ['--version'], { stdio: 'pipe' });
    execFileSync('arm-none-eabi-gcc', ['--version'], { stdio: 'pipe' });
    execFileSync('gcc', ['--version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

describe('instruction counts on QEMU (plugin) and DSP variants on the Cortex-M4', function () {
  it('micro_speech: bit-exact, plugin count = SysTick x 40 within 120', async function () {
    if (!sharedModelsAvailable(this)) return;
    if (!haveTools()) skipAbsent('qemu-system-arm, arm-none-eabi-gcc or gcc missing', 'skipping', this);
    const work = mkdtempSync(join(tmpdir(), 'tinyforge-perf-'));
    const savedPath = process.env.PATH;
    try {
      const target = loadTarget('cortex-m4');
      const graph = loadGraph(sharedModelPath('micro_speech'));
      const compiled = compileGraph(graph, 'micro_speech.tflite', { isa: target.isa });
      const modelDir = writeDirectoryAtomically(join(work, 'model'), compiled.generated.files);
      const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
      expect(text).to.match(/Arm DSP: im2col/);
      const build = await buildFirmware({
        target: 'cortex-m4',
        modelDir,
        outDir: join(work, 'build'),
        input0ArenaOffset: compiled.plan.tensorOffset.get(graph.inputs[0]!),
      });
      const plugin = buildPlugin(work);
      const { start, stops } = invokeWindow(build.elf, compiled.generated.prefix);
      const counts = join(work, 'counts.txt');
      process.env.PATH = `${pluginWrapper(work, 'qemu-system-arm')}:${savedPath}`;
      process.env.TF_BENCH_PLUGIN = [plugin, `start=0x${start.toString(16)}`, ...stops.map((s) => `stop=0x${s.toString(16)}`), `out=${counts}`].join(',');
      const golden = goldenCases('micro_speech')[0]!;
      const run = await runOnBoard({ board: 'qemu-mps2-an386', elf: build.elf, cases: [golden.input], timeoutMs: HANG_GUARD_MS });
      expect(Buffer.from(run.cases[0]!.outputs).equals(Buffer.from(golden.output))).to.equal(true);
      expect(existsSync(counts)).to.equal(true);
      const windows = readFileSync(counts, 'utf8').trim().split('\n').map(Number);
      expect(windows.length).to.be.greaterThan(0);
      // SysTick is read at 40-instruction resolution on both sides, and its window also holds the
      // harness's invoke_once (setjmp) and counter reads, about 45 instructions the plugin leaves out
      expect(Math.abs(windows[0]! - run.cases[0]!.count)).to.be.at.most(120);
    } finally {
      process.env.PATH = savedPath;
      delete process.env.TF_BENCH_PLUGIN;
      rmSync(work, { recursive: true, force: true });
    }
  });
});
