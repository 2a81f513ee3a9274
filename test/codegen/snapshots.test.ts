// SPDX-License-Identifier: Apache-2.0
/**
 * Snapshots of the generated C: three small models (test/helpers/small_models.ts: a conv net, a fully
 * connected net, an elementwise/pool mix) compiled for four kernel families (host: portable C,
 * cortex-m4: Arm DSP, rp2040: Armv6-M, esp32c3: RV32). Each model's own files (<name>.h, <name>.c,
 * <name>_weights.h/.c, CMakeLists.txt) are kept under test/snapshots/<model>/<target>/, with the list
 * of kernel files it ships in kernels.txt (the kernels are copies of src/core/ops/ and are not kept
 * twice). A mismatch prints a unified diff.
 *
 * After a deliberate change to the generated C, rewrite them and review the diff in git:
 *
 *   UPDATE_SNAPSHOTS=1 npx mocha test/codegen/snapshots.test.ts
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { SMALL_MODELS } from '../helpers/small_models.ts';

const SNAPSHOTS = resolve(import.meta.dirname, '../snapshots');
const TARGETS = ['host', 'cortex-m4', 'rp2040', 'esp32c3'];
const UPDATE = process.env.UPDATE_SNAPSHOTS === '1';

/** The snapshot of one model for one target: file name -> text. */
function snapshotOf(build: () => ReturnType<(typeof SMALL_MODELS)[number]['build']>, target: string): Map<string, string> {
  const graph = build();
  const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa, provenance: { target } });
  const files = new Map<string, string>();
  for (const f of compiled.generated.files) if (f.role !== 'kernel') files.set(f.name, f.text);
  const kernels = compiled.generated.files.filter((f) => f.role === 'kernel').map((f) => f.name);
  files.set('kernels.txt', `${kernels.join('\n')}\n`);
  return files;
}

/** `diff -u` of two texts, labelled. */
function unifiedDiff(expected: string, actual: string, label: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-snapshot-'));
  try {
    writeFileSync(join(dir, 'expected'), expected);
    writeFileSync(join(dir, 'actual'), actual);
    const r = spawnSync('diff', ['-u', '--label', `${label} (snapshot)`, '--label', `${label} (generated)`, join(dir, 'expected'), join(dir, 'actual')], {
      encoding: 'utf8',
    });
    return r.stdout || r.stderr;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('generated C: snapshots of three small models for four kernel families', () => {
  for (const { name, build } of SMALL_MODELS) {
    for (const target of TARGETS) {
      it(`${name} for ${target}`, () => {
        const dir = join(SNAPSHOTS, name, target);
        const files = snapshotOf(build, target);
        if (UPDATE) {
          rmSync(dir, { recursive: true, force: true });
          mkdirSync(dir, { recursive: true });
          for (const [file, text] of files) writeFileSync(join(dir, file), text);
          return;
        }
        expect(existsSync(dir), `${dir}: no snapshot (UPDATE_SNAPSHOTS=1 npx mocha test/codegen/snapshots.test.ts)`).to.equal(true);
        const problems: string[] = [];
        const kept = readdirSync(dir).sort();
        for (const file of kept) if (!files.has(file)) problems.push(`${file}: in the snapshot, no longer generated`);
        for (const [file, text] of files) {
          const path = join(dir, file);
          if (!existsSync(path)) problems.push(`${file}: generated, not in the snapshot`);
          else {
            const expected = readFileSync(path, 'utf8');
            if (expected !== text) problems.push(unifiedDiff(expected, text, `${name}/${target}/${file}`));
          }
        }
        if (problems.length > 0) expect.fail(`${name} for ${target} differs from test/snapshots (UPDATE_SNAPSHOTS=1 to accept):\n${problems.join('\n')}`);
      });
    }
  }
});
