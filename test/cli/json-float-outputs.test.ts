// SPDX-License-Identifier: Apache-2.0
/**
 * A float32 output holding NaN or an infinity in `--json`: JSON has no number for them
 * (JSON.stringify would write null, which the number-typed schema rejects), so the documents carry
 * the strings "NaN", "Infinity" and "-Infinity" (docs/json-output.md, docs/schemas/run.schema.json).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { jsonOutputValues } from '../../src/lab/data/bytes.ts';
import { tinyforge } from '../helpers/cli.ts';
import { expectSchemaValid } from '../helpers/json_schema.ts';

describe('CLI: NaN and infinities of a float32 output in --json', function () {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'tinyforge-json-float-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('jsonOutputValues keeps numbers and spells NaN and the infinities as strings', () => {
    expect(jsonOutputValues([1.5, -0, NaN, Infinity, -Infinity, 3])).to.deep.equal([1.5, -0, 'NaN', 'Infinity', '-Infinity', 3]);
  });

  it('run --json of a float model: the strings in outputs and in each case, valid against the schema', () => {
    // -x: NaN stays NaN, the infinities change sides (ADD and MUL would clamp them to FLT_MAX)
    const b = new GraphBuilder('float_neg');
    const x = b.input({ shape: [1, 4], dtype: 'float32', name: 'x' });
    const [y] = b.op('NEG', [x], [{ shape: [1, 4], dtype: 'float32', name: 'y' }]);
    b.output(y!);
    const model = join(dir, 'float_neg.tflite');
    writeFileSync(model, writeTflite(b.build()));
    const input = join(dir, 'x.bin');
    writeFileSync(input, new Uint8Array(new Float32Array([NaN, -Infinity, Infinity, -2.5]).buffer));
    const r = tinyforge(['run', model, '--target', 'host', '--input', input, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const doc = expectSchemaValid(r.stdout);
    expect(doc.outputs).to.deep.equal([['NaN', 'Infinity', '-Infinity', 2.5]]);
    expect(doc.cases[0].outputs).to.deep.equal([['NaN', 'Infinity', '-Infinity', 2.5]]);
    expect(doc.matchesReference).to.equal(true);
  });
});
