// SPDX-License-Identifier: Apache-2.0
/** Checks a `--json` document against the JSON Schema its `$schema` names (docs/schemas/). */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { expect } from 'chai';
import { PROJECT_ROOT } from './cli.ts';

export const SCHEMA_DIR = join(PROJECT_ROOT, 'docs/schemas');

let validators: Map<string, ValidateFunction> | undefined;

/** Every schema under docs/schemas, compiled once, by `$id`. */
export function schemaValidators(): Map<string, ValidateFunction> {
  if (validators) return validators;
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  validators = new Map();
  for (const file of readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.schema.json'))
    .sort()) {
    const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as { $id: string };
    validators.set(schema.$id, ajv.compile(schema));
  }
  return validators;
}

/** Parses one line of `--json` output and asserts it matches its schema; returns the document. */
// `any` by default, as JSON.parse: each test reads the fields it checks
export function expectSchemaValid<T = any>(stdout: string | object, what = 'document'): T {
  const doc = (typeof stdout === 'string' ? JSON.parse(stdout) : stdout) as { $schema?: unknown };
  expect(doc.$schema, `${what}: $schema`).to.be.a('string');
  const validate = schemaValidators().get(doc.$schema as string);
  expect(validate, `${what}: a schema with $id ${String(doc.$schema)}`).to.not.equal(undefined);
  const ok = validate!(doc);
  expect(ok, `${what} against ${String(doc.$schema)}: ${JSON.stringify(validate!.errors?.slice(0, 5))}`).to.equal(true);
  return doc as T;
}
