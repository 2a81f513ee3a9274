// SPDX-License-Identifier: Apache-2.0
/**
 * Each op's folder (src/core/ops/<op>/) imports no other op's files: the kernel pieces two ops share
 * live in src/core/ops/common/ (isa/ per ISA family, families/, codecs/, numerics/), so a change to
 * one op's variant cannot change another op's C unseen. An op reaches into another only where it
 * hands a layer to it, through that op's contract, each such import listed in ALLOWED with its
 * reason; an entry no file needs any more fails too, so the list only shrinks with the code.
 *
 * Tests (`*.test.ts`) are read as well, with one rule of their own: a test may import another op's
 * index.ts (its OpDef, what the op table registers), to check two ops against each other (SIN and
 * COS, an op and its inverse); nothing else of another op.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const OPS = resolve(import.meta.dirname, '..', 'src', 'core', 'ops');
/** Folders of src/core/ops that are not ops. */
const NOT_OPS = new Set(['common']);

/** Imports of another op's file that stay, each importer -> imported file (paths under src/core/ops) and why. */
const ALLOWED: { from: string; to: string; why: string }[] = [
  {
    from: 'conv_2d/as_fc.ts',
    to: 'fully_connected/contract.ts',
    why: "a full-window CONV_2D layer is a FULLY_CONNECTED layer: it is described by FC's params",
  },
  {
    from: 'conv_2d/as_fc.ts',
    to: 'fully_connected/lowering.ts',
    why: "... and run by FC's kernels, through FC's entry for ops that lower a layer to it",
  },
  {
    from: 'depthwise_conv_2d/m0plus.ts',
    to: 'conv_2d/index.ts',
    why: 'a depthwise layer of one input channel is a CONV_2D layer (asConv): it takes the CONV_2D params',
  },
  {
    from: 'depthwise_conv_2d/dsp_common.ts',
    to: 'conv_2d/index.ts',
    why: 'the same for the Arm DSP: the one-input-channel layer runs as a CONV_2D layer',
  },
  {
    from: 'transpose_conv/phases.ts',
    to: 'conv_2d/index.ts',
    why: 'TRANSPOSE_CONV runs each output phase as a CONV_2D layer, chosen and emitted by CONV_2D',
  },
  {
    from: 'cos/index.ts',
    to: 'sin/trig_op.ts',
    why: 'SIN and COS are one op over sin/sincos.ts, whose path the generated C prints: they move to common/ with a new baseline',
  },
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports, dynamic imports included. */
function specifiers(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** Every import of one op's file from another op's folder, as `importer -> imported` (under src/core/ops). */
function crossOpImports(): { from: string; to: string }[] {
  const ops = readdirSync(OPS).filter((name) => !NOT_OPS.has(name) && statSync(join(OPS, name)).isDirectory());
  const opOf = (path: string) => path.split(sep)[0]!;
  const found: { from: string; to: string }[] = [];
  for (const op of ops) {
    for (const file of sources(join(OPS, op))) {
      for (const spec of specifiers(file)) {
        if (!spec.startsWith('.')) continue;
        const target = relative(OPS, resolve(dirname(file), spec));
        if (target.startsWith('..') || !target.includes(sep)) continue;
        const other = opOf(target);
        if (other === op || NOT_OPS.has(other)) continue;
        found.push({ from: relative(OPS, file).split(sep).join('/'), to: target.split(sep).join('/') });
      }
    }
  }
  return found;
}

const isTest = (path: string) => path.endsWith('.test.ts');
const key = (i: { from: string; to: string }) => `${i.from} -> ${i.to}`;

describe("ops import no other op's files", () => {
  const imports = crossOpImports();

  it('each import of another op is a test of its OpDef or on the allow-list', () => {
    const allowed = new Set(ALLOWED.map(key));
    const testOfOpDef = (i: { from: string; to: string }) => isTest(i.from) && /^[a-z0-9_]+\/index\.ts$/.test(i.to);
    const offending = imports.filter((i) => !allowed.has(key(i)) && !testOfOpDef(i)).map(key);
    expect(offending, 'move the shared piece to src/core/ops/common/ (or, for a real hand-over, list the contract in ALLOWED)').to.deep.equal([]);
  });

  it('every allow-list entry is still needed', () => {
    const present = new Set(imports.map(key));
    const stale = ALLOWED.filter((a) => !present.has(key(a))).map(key);
    expect(stale, 'drop these entries from ALLOWED in test/ops_imports.test.ts').to.deep.equal([]);
  });

  it('each allow-list entry says why', () => {
    expect(ALLOWED.filter((a) => a.why.trim().length < 10).map(key)).to.deep.equal([]);
  });
});
