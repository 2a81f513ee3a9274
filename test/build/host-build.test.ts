// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFirmware, type BuildResult } from '../../src/lab/toolchain/index.ts';
import { runOnHost } from '../../src/lab/device/index.ts';
import {
  FAKE_IO_BYTES,
  FAKE_MODEL_DIR,
  atInvokeStart,
  expectRejection,
  fakeModelExpected,
  fakeModelVariant,
  requireTools,
  scratchDir,
  withEmptyPath,
} from './helpers.ts';

describe('build: host target', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let sanitized: BuildResult;

  before(async function () {
    requireTools(this, ['gcc', 'size']);
    scratch = scratchDir('host-build');
    sanitized = await buildFirmware({
      target: 'host',
      modelDir: FAKE_MODEL_DIR,
      outDir: `${scratch.dir}/asan`,
      sanitize: true,
      profile: true,
    });
  });
  after(() => scratch?.cleanup());

  it('builds the fake model with sanitizers and runs several cases', async () => {
    const first = Uint8Array.from({ length: FAKE_IO_BYTES }, (_, i) => i * 17);
    const second = new Uint8Array(FAKE_IO_BYTES).fill(0xff);
    const run = await runOnHost(sanitized.elf, Uint8Array.from([...first, ...second]));
    expect(Array.from(run.outputs)).to.deep.equal([...fakeModelExpected(first), ...fakeModelExpected(second)]);
  });

  it('measures the weights section from the model objects', () => {
    expect(sanitized.board).to.equal(null);
    expect(sanitized.sizes.flashWeights).to.equal(256);
    expect(sanitized.sizes.text).to.be.greaterThan(0);
    expect(sanitized.sizes.ram).to.equal(sanitized.sizes.data + sanitized.sizes.bss);
  });

  it('compiles .c files in sub-folders of the model directory too', async () => {
    const dir = fakeModelVariant(scratch.dir, 'nested', atInvokeStart('extern int tf_nested_answer(void); if (tf_nested_answer() != 42) return 1;'));
    mkdirSync(join(dir, 'kernels'));
    writeFileSync(join(dir, 'kernels', 'model.c'), 'int tf_nested_answer(void);\nint tf_nested_answer(void) { return 42; }\n');
    const built = await buildFirmware({ target: 'host', modelDir: dir, outDir: join(dir, 'out') });
    const input = new Uint8Array(FAKE_IO_BYTES).fill(7);
    expect(Array.from((await runOnHost(built.elf, input)).outputs)).to.deep.equal(Array.from(fakeModelExpected(input)));
  });

  it('reports an input that is not a whole number of cases', async () => {
    const run = runOnHost(sanitized.elf, new Uint8Array(FAKE_IO_BYTES + 3));
    await expectRejection(run, /failed \(status 2\): error: input file size: 19 bytes is not a whole number of cases of 16 bytes \(model fake_xor\)/);
  });

  it('turns an AddressSanitizer report into a one-line error', async () => {
    const overflow = 'volatile unsigned past = TF_MODEL_ARENA_BYTES + 16u; uint8_t *volatile base = arena; base[past] = 1;';
    const dir = fakeModelVariant(scratch.dir, 'overflow', atInvokeStart(overflow));
    const built = await buildFirmware({ target: 'host', modelDir: dir, outDir: `${scratch.dir}/overflow-out`, sanitize: true });
    await expectRejection(runOnHost(built.elf, new Uint8Array(FAKE_IO_BYTES)), /status 1\): ERROR: AddressSanitizer: global-buffer-overflow/);
  });

  it('turns an UndefinedBehaviorSanitizer report into a one-line error', async () => {
    const dir = fakeModelVariant(scratch.dir, 'shift', atInvokeStart('volatile int by = 40; invocations += 1u << by;'));
    const built = await buildFirmware({ target: 'host', modelDir: dir, outDir: `${scratch.dir}/shift-out`, sanitize: true });
    await expectRejection(runOnHost(built.elf, new Uint8Array(FAKE_IO_BYTES)), /model\.c:\d+:\d+: runtime error: shift exponent 40 is too large/);
  });

  it('catches unbalanced profiling hooks in a profile build', async () => {
    const dir = fakeModelVariant(scratch.dir, 'unbalanced', (c) => c.replace('  LAYER_END(2);\n', ''));
    const built = await buildFirmware({ target: 'host', modelDir: dir, outDir: `${scratch.dir}/unbalanced-out`, profile: true });
    await expectRejection(runOnHost(built.elf, new Uint8Array(FAKE_IO_BYTES)), /status 4\): error: profiling hooks were not called once per layer/);
  });

  it('reports compiler errors with the first error lines and the file', async () => {
    const dir = fakeModelVariant(scratch.dir, 'broken', atInvokeStart('int unused_variable;'));
    const build = buildFirmware({ target: 'host', modelDir: dir, outDir: `${scratch.dir}/broken-out` });
    const error = await expectRejection(build, /^compiling model\.c for host failed: .*model\.c:\d+:\d+: error: unused variable 'unused_variable'/);
    expect(error.message).to.match(/full log: .*build\.log\)$/);
    expect(error.message).not.to.include('\n');
  });

  it('names the missing compiler and how to install it', async () => {
    await withEmptyPath(async () => {
      const build = buildFirmware({ target: 'host', modelDir: FAKE_MODEL_DIR, outDir: `${scratch.dir}/nopath` });
      await expectRejection(build, /^gcc not found: install it with: apt-get install gcc binutils$/);
    });
  });

  it('rejects a directory without a model header', async () => {
    await expectRejection(
      buildFirmware({ target: 'host', modelDir: scratch.dir, outDir: `${scratch.dir}/x` }),
      /not a generated model directory \(no model header: <name>\.h defining TF_MODEL_NUM_INPUTS\)/,
    );
  });
});

describe('build: a failed build keeps its log where the error says', function () {
  it('the folder named in the error exists after the command, with the compiler output in build.log', async function () {
    requireTools(this, ['gcc', 'size']);
    const { fcAutoencoder } = await import('../helpers/autoencoder_model.ts');
    const { compileForTarget, withTargetBuild } = await import('../../src/lab/run/device-build.ts');
    const { loadTarget } = await import('../../src/core/targets/targets.ts');
    const { existsSync, readFileSync, rmSync } = await import('node:fs');
    const target = loadTarget('host');
    const graph = fcAutoencoder({ widths: [16, 8, 16] });
    const compiled = compileForTarget(graph, 'ae.tflite', target, undefined, {});
    const options = { profile: false, extraCflags: ['-include', '/nonexistent/missing_header.h'], progress: () => {} };
    const error = await withTargetBuild(compiled, target, undefined, options, async () => 'built').then(
      () => expect.fail('the build should fail'),
      (e: Error) => e,
    );
    const log = /full log: (\S+build\.log)\)/.exec(error.message)?.[1];
    expect(log, error.message).to.be.a('string');
    expect(existsSync(log!), `${log} kept`).to.equal(true);
    expect(readFileSync(log!, 'utf8')).to.include('missing_header.h');
    rmSync(join(log!, '..', '..'), { recursive: true, force: true });
  });
});
