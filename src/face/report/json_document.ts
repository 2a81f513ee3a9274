// SPDX-License-Identifier: Apache-2.0
/**
 * Every `--json` document names its schema and the version of its contract: `"$schema"` is the id
 * of a JSON Schema (draft 2020-12) shipped in the package as docs/schemas/<command>.schema.json, and
 * `"version"` counts incompatible changes (fields are only ever added within a version).
 */
export const JSON_CONTRACT_VERSION = 1;

export const JSON_DOCUMENTS = [
  'inspect',
  'compile',
  'run',
  'profile',
  'validate',
  'flash',
  'boards',
  'targets',
  'ports',
  'init',
  'palettize',
  'compression-step',
  'sensitivity',
  'compress',
  'tune',
  'report',
  'farm-sweep',
  'farm-status',
] as const;
export type JsonDocument = (typeof JSON_DOCUMENTS)[number];

/** The id of a document's schema (its `$id`, and the document's `$schema`). */
export function schemaId(document: JsonDocument): string {
  return `urn:tinyforge:schema:${document}`;
}

/** One line on stdout: the document with its `$schema` and `version` first. */
export function jsonLine(document: JsonDocument, body: object): string {
  return `${JSON.stringify({ $schema: schemaId(document), version: JSON_CONTRACT_VERSION, ...body })}\n`;
}
