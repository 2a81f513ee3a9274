// SPDX-License-Identifier: Apache-2.0
/**
 * A layer's C as data (KernelVariant.emit may return it instead of text): the function's summary
 * comment, the static parameter structs and tables it declares, and its statements, mostly one call
 * of a shared kernel with its argument list. Codegen prints it (layerText); a pass that needs another
 * instance of the same kernel (the row-band stage's steady instances, ops/patch_stage/merge.ts) edits
 * these structures (fields, arguments) instead of reading emitted C back.
 */

/** One call argument: a C expression, or the address of a static the function declares (`&geom`). */
export type CallArg = string | { addressOf: string } | { steady: CallArg; otherwise: CallArg };

/** One designated initializer `.name = value`; a nested initializer prints as `{ .a = 1, .b = 2 }`. */
export interface Field {
  name: string;
  value: string | Field[];
}

/** One line of a struct initializer: its fields, or a comment. */
export type InitLine = { fields: Field[] } | { comment: string };

/** `static const <ctype> <name> = <init>;` inside the function: a one-line initializer, or a struct over lines. */
export interface StaticDecl {
  ctype: string;
  name: string;
  init: string | InitLine[];
}

/** One statement of the function body, after its declarations. */
export type Statement =
  /** a comment (lines without the body's indentation: `/* a`, ` * b *\/`) */
  | { comment: string[] }
  /** `callee(args);` */
  | { callee: string; args: CallArg[] }
  /** `<ctype> <name> = <from>; if (steady) { <name>.<field> = <value>; ... }`: a copy of a declared struct with some fields replaced */
  | { copyOf: string; ctype: string; name: string; whenSteady: [string, string][] }
  /** a line of C as is (with its indentation) */
  | { line: string };

export interface LayerCode {
  /** the comment lines above the function (its summary) */
  comment: string[];
  fnName: string;
  /** `static void <fnName>(void)`; a merged band function is noinline and takes `int steady` */
  noinline?: boolean;
  parameter?: string;
  decls: StaticDecl[];
  body: Statement[];
}

/** What a variant's emit gives: C text, or the layer as data for codegen to print. */
export type LayerEmission = string | LayerCode;

const INDENT = '  ';

export function printArg(arg: CallArg): string {
  if (typeof arg === 'string') return arg;
  if ('addressOf' in arg) return `&${arg.addressOf}`;
  return `(steady ? ${printArg(arg.steady)} : ${printArg(arg.otherwise)})`;
}

export function printField(f: Field): string {
  return `.${f.name} = ${typeof f.value === 'string' ? f.value : `{ ${f.value.map(printField).join(', ')} }`}`;
}

function printDecl(d: StaticDecl): string[] {
  if (typeof d.init === 'string') return [`${INDENT}static const ${d.ctype} ${d.name} = ${d.init};`];
  return [
    `${INDENT}static const ${d.ctype} ${d.name} = {`,
    ...d.init.map((l) => `${INDENT}${INDENT}${'comment' in l ? l.comment : `${l.fields.map(printField).join(', ')},`}`),
    `${INDENT}};`,
  ];
}

function printStatement(s: Statement): string[] {
  if ('comment' in s) return s.comment.map((l) => `${INDENT}${l}`);
  if ('callee' in s) return [`${INDENT}${s.callee}(${s.args.map(printArg).join(', ')});`];
  if ('copyOf' in s)
    return [
      `${INDENT}${s.ctype} ${s.name} = ${s.copyOf};`,
      `${INDENT}if (steady) {`,
      ...s.whenSteady.map(([field, value]) => `${INDENT}${INDENT}${s.name}.${field} = ${value};`),
      `${INDENT}}`,
    ];
  return [s.line];
}

/** The layer's C: its comment, then the function, ending in a newline. */
export function printLayer(code: LayerCode): string {
  const signature = `static ${code.noinline ? '__attribute__((noinline)) ' : ''}void ${code.fnName}(${code.parameter ?? 'void'}) {`;
  return [...code.comment, signature, ...code.decls.flatMap(printDecl), ...code.body.flatMap(printStatement), '}', ''].join('\n');
}

/** A variant's emission as C text. */
export function layerText(emission: LayerEmission): string {
  return typeof emission === 'string' ? emission : printLayer(emission);
}
