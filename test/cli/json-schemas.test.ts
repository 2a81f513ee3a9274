// SPDX-License-Identifier: Apache-2.0
/**
 * Every `--json` document names its schema (`$schema`) and contract version, and matches that
 * schema (docs/schemas/, draft 2020-12). The commands that need no board run here; the tests of
 * the others (run, profile, report, validate, pipelines, compression) check their own outputs.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { JSON_CONTRACT_VERSION, JSON_DOCUMENTS, schemaId } from '../../src/face/report/json_document.ts';
import { SCHEMA_DIR, expectSchemaValid, schemaValidators } from '../helpers/json_schema.ts';
import { tinyforge } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';

describe('CLI: --json documents and their JSON Schemas', function () {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'tinyforge-json-schemas-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("one draft 2020-12 schema per document, its $id the documents' $schema, pinning the version", () => {
    const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'));
    expect(files.map((f) => f.replace('.schema.json', '')).sort()).to.deep.equal([...JSON_DOCUMENTS].sort());
    for (const name of JSON_DOCUMENTS) {
      const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, `${name}.schema.json`), 'utf8'));
      expect(schema.$schema, name).to.equal('https://json-schema.org/draft/2020-12/schema');
      expect(schema.$id, name).to.equal(schemaId(name));
      expect(schema.properties.version, name).to.deep.equal({ const: JSON_CONTRACT_VERSION });
      expect(schema.required, name).to.include.members(['$schema', 'version']);
    }
    // every schema compiles under ajv's strict mode
    expect(schemaValidators().size).to.equal(JSON_DOCUMENTS.length);
  });

  it('a document missing a required field or with a wrong type fails its schema', () => {
    const validate = schemaValidators().get(schemaId('ports'))!;
    expect(validate({ $schema: schemaId('ports'), version: 1, ports: [{ path: '/dev/ttyACM0' }] })).to.equal(true);
    expect(validate({ $schema: schemaId('ports'), version: 1 })).to.equal(false);
    expect(validate({ $schema: schemaId('ports'), version: 2, ports: [] })).to.equal(false);
    expect(validate({ $schema: schemaId('ports'), version: 1, ports: [{ path: 3 }] })).to.equal(false);
  });

  it('boards, targets and ports --json match their schemas', () => {
    for (const command of ['boards', 'targets', 'ports']) {
      const r = tinyforge([command, '--json']);
      expect(r.status, r.stderr).to.equal(0);
      const doc = expectSchemaValid(r.stdout, command);
      expect(doc).to.include({ $schema: schemaId(command as 'boards'), version: JSON_CONTRACT_VERSION });
    }
  });

  it('inspect, compile, run on the host, palettize and init --json match their schemas', function () {
    if (!sharedModelsAvailable(this)) return;
    const model = sharedModelPath('hello_world_int8');
    const runs: [string, string[], string?][] = [
      ['inspect', ['inspect', model, '--json']],
      ['inspect (several models)', ['inspect', model, sharedModelPath('simple_add'), '--json']],
      ['compile', ['compile', model, '-o', join(dir, 'one'), '--json']],
      ['compile (several models)', ['compile', model, sharedModelPath('simple_add'), '-o', join(dir, 'two'), '--json']],
      ['run', ['run', model, '--target', 'host', '--json']],
      ['palettize', ['palettize', model, '-o', join(dir, 'palette.tflite'), '--json']],
      ['init', ['init', model, '--json'], dir],
    ];
    for (const [what, args, cwd] of runs) {
      const r = tinyforge(args, cwd ? { cwd } : {});
      expect(r.status, `${what}: ${r.stderr}`).to.equal(0);
      expectSchemaValid(r.stdout, what);
    }
  });
});
