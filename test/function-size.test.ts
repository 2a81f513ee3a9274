// SPDX-License-Identifier: Apache-2.0
/**
 * Function size in src/, read from the sources themselves: no function (declaration, method,
 * constructor, arrow function or function expression) spans more than MAX_LINES lines, first to last
 * inclusive, and none takes more than MAX_PARAMETERS positional parameters. A longer function is split
 * into named steps; a longer parameter list becomes one options object whose field names say what
 * each value is.
 *
 * Exempt are the folders in EXEMPT_FOLDERS (generated code) and the functions in EXEMPT, each named
 * `file#function` with its reason. The list only shrinks: an entry whose function is gone or now
 * keeps both limits fails the test, so the entry is removed with the refactor that makes it pass.
 * Tests (`*.test.ts`) are not read. A failure lists each offender as `file:line name (N lines)` or
 * `file:line name (N parameters)`.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');
const MAX_LINES = 150;
const MAX_PARAMETERS = 6;

/** Folders not read, with why. */
const EXEMPT_FOLDERS: Record<string, string> = {
  'src/core/model/tflite/generated/': "flatc's output, regenerated from the schema, never edited",
};

/** Functions allowed over a limit for now, `file#function`, with why; each is removed when its refactor lands. */
const EXEMPT: Record<string, string> = {};

interface Finding {
  file: string;
  line: number;
  name: string;
  lines: number;
  parameters: number;
}

function sourceFiles(): string[] {
  return readdirSync(SRC, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)).split('\\').join('/'))
    .filter((f) => !Object.keys(EXEMPT_FOLDERS).some((folder) => f.startsWith(folder)))
    .sort();
}

/** The name a reader would look for: the function's own, else the variable, property or call it is given to. */
function nameOf(node: ts.SignatureDeclaration, source: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return node.name.getText(source);
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) {
    return parent.name.getText(source);
  }
  if (ts.isCallExpression(parent)) {
    const callee = parent.expression;
    const called = ts.isPropertyAccessExpression(callee) ? callee.name.text : callee.getText(source);
    return `(anonymous, passed to ${called})`;
  }
  return '(anonymous)';
}

function functionsOf(file: string): Finding[] {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const found: Finding[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isFunctionDeclaration(node) ||
        ts.isMethodDeclaration(node) ||
        ts.isConstructorDeclaration(node) ||
        ts.isArrowFunction(node) ||
        ts.isFunctionExpression(node)) &&
      node.body
    ) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      // `this: T` is a type annotation, not a parameter a caller passes
      const parameters = node.parameters.filter((p) => p.name.getText(source) !== 'this').length;
      found.push({ file, line: first + 1, name: nameOf(node, source), lines: last - first + 1, parameters });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const overLines = (f: Finding) => f.lines > MAX_LINES;
const overParameters = (f: Finding) => f.parameters > MAX_PARAMETERS;
const keyOf = (f: Finding) => `${f.file}#${f.name}`;

describe(`function size: at most ${MAX_LINES} lines and ${MAX_PARAMETERS} parameters in src/`, function () {
  const all = sourceFiles().flatMap(functionsOf);

  it('reads the sources', () => {
    expect(all.length, 'functions found in src/').to.be.greaterThan(1000);
  });

  it(`no function spans more than ${MAX_LINES} lines`, () => {
    const long = all.filter((f) => overLines(f) && !(keyOf(f) in EXEMPT)).map((f) => `${f.file}:${f.line} ${f.name} (${f.lines} lines)`);
    expect(long, 'split these into named steps').to.deep.equal([]);
  });

  it(`no function takes more than ${MAX_PARAMETERS} positional parameters`, () => {
    const many = all.filter((f) => overParameters(f) && !(keyOf(f) in EXEMPT)).map((f) => `${f.file}:${f.line} ${f.name} (${f.parameters} parameters)`);
    expect(many, 'pass these one options object').to.deep.equal([]);
  });

  it('every exemption still names a function that needs it, so the list only shrinks', () => {
    const stale = Object.keys(EXEMPT).filter((key) => {
      const named = all.filter((f) => keyOf(f) === key);
      if (named.length === 0) return true;
      return !named.some((f) => overLines(f) || overParameters(f));
    });
    expect(stale, 'remove these from EXEMPT: the function is gone or keeps both limits').to.deep.equal([]);
  });
});
