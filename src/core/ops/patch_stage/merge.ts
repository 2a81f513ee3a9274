// SPDX-License-Identifier: Apache-2.0
/**
 * A row-band layer's band and steady instances (the same kernel on fewer rows from other offsets) as
 * one function taking `steady`, built from the two instances' structured C (layer_code.ts): call
 * arguments that differ become `steady ? a : b`, and a parameter struct whose fields differ is copied
 * and its fields replaced when steady. After inlining, the fields both instances share stay
 * compile-time constants: a kernel called once keeps its geometry folded as with whole tensors, where
 * two instances passing two structs kept none. Not inlined into the stage loop: the kernel inlined
 * there spilled around it (person_detect M7: 76 B more code, and more instructions).
 */
import type { CallArg, Field, InitLine, LayerCode, Statement } from '../layer_code.ts';
import { printArg, printField } from '../layer_code.ts';

const sameField = (a: Field, b: Field) => printField(a) === printField(b);

/**
 * The fields of a struct initializer the steady instance sets otherwise (`[field, value]`), or
 * undefined when the two are not the same struct: other lines or field names, or a differing line
 * holding a nested initializer (its fields would need their path: `.pw = { .pixels = 64, ... }`).
 */
function fieldChanges(band: InitLine[], steady: InitLine[]): [string, string][] | undefined {
  if (band.length !== steady.length) return undefined;
  const changes: [string, string][] = [];
  for (let j = 0; j < band.length; j++) {
    const x = band[j]!;
    const y = steady[j]!;
    if ('comment' in x || 'comment' in y) {
      if (!('comment' in x && 'comment' in y && x.comment === y.comment)) return undefined;
      continue;
    }
    if (x.fields.length !== y.fields.length || x.fields.some((f, n) => f.name !== y.fields[n]!.name)) return undefined;
    if (x.fields.every((f, n) => sameField(f, y.fields[n]!))) continue;
    if ([...x.fields, ...y.fields].some((f) => typeof f.value !== 'string')) return undefined;
    x.fields.forEach((f, n) => {
      if (f.value !== y.fields[n]!.value) changes.push([f.name, y.fields[n]!.value as string]);
    });
  }
  return changes;
}

/** An argument with the declarations the merged function copies renamed to their copies. */
function renamed(arg: CallArg, copies: Map<string, string>): CallArg {
  if (typeof arg === 'object' && 'addressOf' in arg) return { addressOf: copies.get(arg.addressOf) ?? arg.addressOf };
  return arg;
}

/**
 * The band and steady instances as one function named as the band's; undefined when they are not
 * the same declarations and statements (the stage then keeps both functions).
 */
export function mergeBandInstances(band: LayerCode, steady: LayerCode): LayerCode | undefined {
  if (band.parameter || steady.parameter || band.decls.length !== steady.decls.length || band.body.length !== steady.body.length) return undefined;
  const copies = new Map<string, string>();
  const patches: Statement[] = [];
  for (let i = 0; i < band.decls.length; i++) {
    const x = band.decls[i]!;
    const y = steady.decls[i]!;
    if (x.name !== y.name || x.ctype !== y.ctype || typeof x.init !== typeof y.init) return undefined;
    if (typeof x.init === 'string') {
      if (x.init !== y.init) return undefined;
      continue;
    }
    const changes = fieldChanges(x.init, y.init as InitLine[]);
    if (!changes) return undefined;
    if (changes.length === 0) continue;
    copies.set(x.name, `${x.name}_v`);
    patches.push({ copyOf: x.name, ctype: x.ctype, name: `${x.name}_v`, whenSteady: changes });
  }
  const statements: Statement[] = [];
  for (let i = 0; i < band.body.length; i++) {
    const x = band.body[i]!;
    const y = steady.body[i]!;
    if ('comment' in x) {
      if (!('comment' in y)) return undefined;
      statements.push(x);
    } else if ('callee' in x) {
      if (!('callee' in y) || x.callee !== y.callee || x.args.length !== y.args.length) return undefined;
      const args = x.args.map((a, n) => {
        const [ax, ay] = [renamed(a, copies), renamed(y.args[n]!, copies)];
        return printArg(ax) === printArg(ay) ? ax : { steady: ay, otherwise: ax };
      });
      statements.push({ callee: x.callee, args });
    } else if ('line' in x) {
      if (!('line' in y) || x.line !== y.line) return undefined;
      statements.push(x);
    } else return undefined;
  }
  // the same code twice (no argument or field differs): steady unused
  const uses = patches.length > 0 || statements.some((s) => 'callee' in s && s.args.some((a) => typeof a === 'object' && 'steady' in a));
  return {
    comment: band.comment,
    fnName: band.fnName,
    noinline: true,
    parameter: 'int steady',
    decls: band.decls,
    body: [...patches, ...(uses ? [] : [{ line: '  (void)steady;' }]), ...statements],
  };
}
