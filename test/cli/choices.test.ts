// SPDX-License-Identifier: Apache-2.0
/**
 * The weight-storage and pass choices (`--sparse-kernels`, `--no-entropy`, ..., and the TINYFORGE_*
 * variables that are their defaults): the CLI hands them to the core as compile options, the
 * banner of every generated file records those off their defaults, `compile --json` reports all.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileChoicesOf } from '../../src/face/cli/choice-options.ts';
import { tinyforge } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { scratchDir } from '../build/helpers.ts';

/** The environment without any TINYFORGE_* choice variable the caller may have set. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^TINYFORGE_(PREFER|SPARSE_|ENTROPY|PALETTE_|INT4_|DEAD_)/.test(k)));
  return { ...env, ...extra };
}

describe('compile choices: flags, TINYFORGE_* defaults, banner and --json', function () {
  it('a flag wins over its variable; a variable stands in for a missing flag; defaults are left out', () => {
    expect(compileChoicesOf({}, {})).to.deep.equal({});
    expect(compileChoicesOf({ entropy: true, paletteKernels: true, int4Kernels: true, deadNeurons: true }, {})).to.deep.equal({});
    expect(compileChoicesOf({ sparseKernels: 'auto' }, { TINYFORGE_SPARSE_KERNELS: 'force' })).to.deep.equal({});
    expect(compileChoicesOf({}, { TINYFORGE_SPARSE_KERNELS: 'force', TINYFORGE_SPARSE_FORM: 'groups', TINYFORGE_PREFER: 'size' })).to.deep.equal({
      prefer: 'size',
      kernels: { sparse: 'force', sparseForm: 'groups' },
    });
    expect(compileChoicesOf({ prefer: 'speed', deadNeurons: false }, { TINYFORGE_PREFER: 'size', TINYFORGE_ENTROPY: 'off' })).to.deep.equal({
      prefer: 'speed',
      kernels: { entropy: false },
      deadNeurons: false,
    });
    expect(compileChoicesOf({}, { TINYFORGE_SPARSE_KERNELS: 'sometimes', TINYFORGE_ENTROPY: 'on' })).to.deep.equal({});
  });

  it('compile records the choices off their defaults in every banner and all of them in --json', function () {
    if (!sharedModelsAvailable(this)) this.skip();
    const { dir, cleanup } = scratchDir('choices');
    try {
      const plain = tinyforge(['compile', sharedModelPath('micro_speech'), '--target', 'host', '-o', join(dir, 'plain'), '--json'], { env: cleanEnv() });
      expect(plain.status, plain.stderr).to.equal(0);
      expect(JSON.parse(plain.stdout).choices).to.deep.equal({
        prefer: null,
        sparseKernels: 'auto',
        sparseForm: null,
        entropy: true,
        paletteKernels: true,
        int4Kernels: true,
        deadNeurons: true,
        patch: null,
        arena: 'static',
        name: 'micro_speech',
      });
      expect(readFileSync(join(dir, 'plain', 'micro_speech.c'), 'utf8')).to.not.include('choices:');

      const chosen = tinyforge(
        ['compile', sharedModelPath('micro_speech'), '--target', 'host', '-o', join(dir, 'chosen'), '--json', '--sparse-kernels', 'off', '--no-dead-neurons'],
        { env: cleanEnv({ TINYFORGE_ENTROPY: 'off' }) },
      );
      expect(chosen.status, chosen.stderr).to.equal(0);
      expect(JSON.parse(chosen.stdout).choices).to.include({ sparseKernels: 'off', entropy: false, deadNeurons: false, paletteKernels: true });
      for (const file of ['micro_speech.c', 'micro_speech_weights.h', 'CMakeLists.txt'])
        expect(readFileSync(join(dir, 'chosen', file), 'utf8'), file).to.match(/choices: --sparse-kernels off, --no-entropy, --no-dead-neurons\n/);
      // the C is the default's: micro_speech has no pruned, Huffman-worthy or dead neurons to change
      const body = (d: string) => readFileSync(join(dir, d, 'micro_speech.c'), 'utf8').replace(/^\/\*[\s\S]*?\*\/\n/, '');
      expect(body('chosen')).to.equal(body('plain'));

      const bad = tinyforge(['compile', sharedModelPath('micro_speech'), '--target', 'host', '-o', join(dir, 'bad'), '--sparse-kernels', 'always'], {
        env: cleanEnv(),
      });
      expect(bad.status).to.not.equal(0);
      expect(bad.stderr).to.match(/--sparse-kernels.*always/);
    } finally {
      cleanup();
    }
  });
});
