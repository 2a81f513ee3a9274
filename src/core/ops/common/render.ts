// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';

/** C is not HTML: templates never escape. Compiled templates are cached per file. */
const engine = Handlebars.create();
const cache = new Map<string, HandlebarsTemplateDelegate>();

export function renderTemplateFile(path: string, view: object): string {
  let template = cache.get(path);
  if (!template) {
    template = engine.compile(readFileSync(path, 'utf8'), { noEscape: true, strict: true });
    cache.set(path, template);
  }
  return template(view);
}

/** Renders a template that lives beside an op (`dir` is the op's folder). */
export function renderOpTemplate(dir: string, file: string, view: object): string {
  return renderTemplateFile(join(dir, file), view);
}

/** Formats numbers as a C initializer list, `perLine` to a line. */
export function cArrayBody(values: ArrayLike<number | bigint | string>, perLine = 16): string {
  const lines: string[] = [];
  for (let i = 0; i < values.length; i += perLine) {
    const row: string[] = [];
    for (let j = i; j < Math.min(i + perLine, values.length); j++) row.push(String(values[j]));
    lines.push(`  ${row.join(', ')},`);
  }
  return lines.join('\n');
}

/** A C float literal that reads back as exactly the float32 `v` (nine significant digits). */
export function floatLiteral(v: number): string {
  return `${Math.fround(v).toPrecision(9)}f`;
}
