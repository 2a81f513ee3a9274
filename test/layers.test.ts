// SPDX-License-Identifier: Apache-2.0
/**
 * The layer rule of src/, read from the sources themselves:
 * - core (src/core) imports only the core, npm packages and node builtins that read; it reads no
 *   environment and writes no files;
 * - lab imports core and lab; compress imports core, lab and compress; face imports anything;
 * - inside the core and inside the lab, the folders import in one fixed order (CORE_ORDER,
 *   LAB_ORDER), so no arrow runs back up and no two folders import each other;
 * - nothing in src/ imports from test/ or elsewhere outside src/;
 * - no cycle of value imports joins two folders: ES modules in a cycle run their bodies before their
 *   imports are bound, so a definition read at load time (an op table, a kernel wrapped around an op)
 *   is undefined in one of them and the CLI crashes at start-up. Cycles within one folder (an op's
 *   definition and its variant files, which call each other only when a layer is compiled) are allowed.
 * Tests (`*.test.ts`) are not part of the product and are not read; what only tests use (cases,
 * fixtures, fakes) lives under test/. Each failure lists the offending imports as `file -> target`.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

/** The core's units, lowest first: each imports only itself and the units before it. */
const CORE_ORDER = ['terminal_text.ts', 'errors.ts', 'ir', 'model', 'ops', 'passes', 'plan', 'codegen', 'pipeline', 'targets', 'compile.ts'];
/** The lab's units, lowest first. */
const LAB_ORDER = ['optional_deps.ts', 'timeout.ts', 'output.ts', 'lifecycle.ts', 'model_files.ts', 'data', 'toolchain', 'device', 'estimate', 'run', 'farm'];
/** What each layer may import (src/index.ts, the package API, is the face's). */
const LAYER_IMPORTS: Record<string, string[]> = {
  core: ['core'],
  lab: ['core', 'lab'],
  compress: ['core', 'lab', 'compress'],
  face: ['core', 'lab', 'compress', 'face'],
};
/** Node builtins the core may use: they read (node:fs only through its reading functions). */
const CORE_BUILTINS = new Set(['path', 'fs', 'crypto', 'url', 'util', 'buffer']);
/** Functions that change the filesystem, under any name they are reached by. */
const FS_WRITES = new Set([
  'writeFileSync',
  'writeFile',
  'appendFileSync',
  'appendFile',
  'mkdirSync',
  'mkdir',
  'mkdtempSync',
  'mkdtemp',
  'rmSync',
  'rm',
  'rmdirSync',
  'rmdir',
  'unlinkSync',
  'unlink',
  'renameSync',
  'rename',
  'copyFileSync',
  'copyFile',
  'cpSync',
  'cp',
  'symlinkSync',
  'symlink',
  'truncateSync',
  'truncate',
  'createWriteStream',
  'openSync',
  'writeSync',
  'chmodSync',
  'utimesSync',
]);

const isTest = (file: string) => file.endsWith('.test.ts');

function productSources(dir = SRC): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...productSources(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !isTest(entry.name)) out.push(path);
  }
  return out;
}

interface Source {
  /** repository-relative, with `/` */
  file: string;
  ast: ts.SourceFile;
  /** every module specifier: static imports and re-exports, `import()` and `import x = require()` */
  specifiers: string[];
}

const posix = (p: string) => p.split(sep).join('/');

function read(path: string): Source {
  const ast = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const specifiers: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      specifiers.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      specifiers.push(node.argument.literal.text);
    } else if (ts.isExternalModuleReference(node) && ts.isStringLiteral(node.expression)) {
      specifiers.push(node.expression.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(ast);
  return { file: posix(relative(ROOT, path)), ast, specifiers };
}

const SOURCES = productSources().map(read);

/** A relative specifier as a repository-relative path; a bare one (package, builtin) as it is. */
function target(from: string, specifier: string): string {
  return specifier.startsWith('.') ? posix(relative(ROOT, resolve(ROOT, dirname(from), specifier))) : specifier;
}

/** `core`, `lab`, `compress`, `face` (src/index.ts counts as the face). */
function layerOf(file: string): string {
  const [, top] = file.split('/');
  return top === 'index.ts' ? 'face' : top!;
}

/** The unit of a file within its layer: its first folder, or the file itself at the layer's top. */
function unitOf(file: string): string {
  return file.split('/')[2]!;
}

function builtinName(specifier: string): string | undefined {
  const name = specifier.replace(/^node:/, '');
  return builtinModules.includes(name) || specifier.startsWith('node:') ? name : undefined;
}

/** The relative value imports of a source (type-only imports are erased and cannot form a load cycle). */
function valueImports(s: Source): string[] {
  return staticValueSpecifiers(s)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => target(s.file, specifier));
}

/** The specifiers of a source's static value imports and re-exports: what loading it loads (dynamic `import()` aside). */
function staticValueSpecifiers(s: Source): string[] {
  const out: string[] = [];
  for (const statement of s.ast.statements) {
    let specifier: ts.Expression | undefined;
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const named = clause?.namedBindings;
      const onlyTypes =
        clause?.isTypeOnly ||
        (clause && !clause.name && named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly));
      if (!onlyTypes) specifier = statement.moduleSpecifier;
    } else if (ts.isExportDeclaration(statement) && !statement.isTypeOnly) specifier = statement.moduleSpecifier;
    if (specifier && ts.isStringLiteral(specifier)) out.push(specifier.text);
  }
  return out;
}

/** The package a bare specifier names (`@scope/name` or `name`, without a subpath). */
const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * The files loaded with `entry` by static imports, each with the chain of files that reaches it, and
 * the npm packages they import by value (each with the file importing it).
 */
function staticClosure(entry: string): { files: Map<string, string[]>; packages: Map<string, string[]> } {
  const byFile = new Map(SOURCES.map((s) => [s.file, s]));
  const files = new Map<string, string[]>([[entry, [entry]]]);
  const packages = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    const s = byFile.get(file);
    if (!s) continue;
    for (const specifier of staticValueSpecifiers(s)) {
      if (!specifier.startsWith('.')) {
        if (builtinName(specifier) === undefined && !packages.has(packageOf(specifier))) packages.set(packageOf(specifier), [...files.get(file)!]);
        continue;
      }
      const to = target(file, specifier);
      if (files.has(to)) continue;
      files.set(to, [...files.get(file)!, to]);
      queue.push(to);
    }
  }
  return { files, packages };
}

/** The strongly connected components of more than one file in the value-import graph (Tarjan). */
function importCycles(sources: Source[]): string[][] {
  const graph = new Map(sources.map((s) => [s.file, valueImports(s)]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return cycles;
}

const arrows = (list: string[]) => (list.length ? `\n  ${list.join('\n  ')}` : '');

describe('layers: what each part of src/ may import', () => {
  it('reads the product sources of every layer', () => {
    expect(SOURCES.length).to.be.greaterThan(100);
    expect(new Set(SOURCES.map((s) => layerOf(s.file)))).to.deep.equal(new Set(Object.keys(LAYER_IMPORTS)));
  });

  it('holds no test cases or fixtures under src/ (they live in test/, out of the package)', () => {
    const testOnly = SOURCES.map((s) => s.file).filter((f) => /_cases\.ts$|\/test_[^/]*\.ts$/.test(f));
    expect(testOnly).to.deep.equal([]);
  });

  it('imports run down the layers: lab -> core, compress -> lab, face -> anything; nothing outside src/', () => {
    const offending: string[] = [];
    for (const s of SOURCES) {
      const allowed = LAYER_IMPORTS[layerOf(s.file)] ?? [];
      for (const spec of s.specifiers) {
        if (!spec.startsWith('.')) continue;
        const to = target(s.file, spec);
        if (!to.startsWith('src/') || !allowed.includes(layerOf(to))) offending.push(`${s.file} -> ${to}`);
      }
    }
    expect(offending, `imports against the layer rule:${arrows(offending)}`).to.deep.equal([]);
  });

  it('the core uses no node builtin beyond the reading ones (path, fs, crypto, url, util, buffer)', () => {
    const offending: string[] = [];
    for (const s of SOURCES.filter((s) => layerOf(s.file) === 'core')) {
      for (const spec of s.specifiers) {
        const name = builtinName(spec);
        if (name !== undefined && !CORE_BUILTINS.has(name)) offending.push(`${s.file} -> ${spec}`);
      }
    }
    expect(offending, `core imports of builtins that act on the system:${arrows(offending)}`).to.deep.equal([]);
  });

  it('the core reads no environment and writes no files', () => {
    const offending: string[] = [];
    for (const s of SOURCES.filter((s) => layerOf(s.file) === 'core')) {
      // the names node:fs is reached by in this file: `import * as fs`, `import fs`
      const fsNamespaces = new Set<string>();
      const lineOf = (node: ts.Node) => s.ast.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      const visit = (node: ts.Node) => {
        if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && builtinName(node.moduleSpecifier.text) === 'fs') {
          const clause = node.importClause;
          if (clause?.name) fsNamespaces.add(clause.name.text);
          const bindings = clause?.namedBindings;
          if (bindings && ts.isNamespaceImport(bindings)) fsNamespaces.add(bindings.name.text);
          if (bindings && ts.isNamedImports(bindings)) {
            for (const e of bindings.elements) {
              const name = (e.propertyName ?? e.name).text;
              if (FS_WRITES.has(name)) offending.push(`${s.file}:${lineOf(e)} -> ${name}`);
            }
          }
        } else if (ts.isPropertyAccessExpression(node)) {
          const object = node.expression.getText();
          if (object === 'process' && node.name.text === 'env') offending.push(`${s.file}:${lineOf(node)} -> process.env`);
          if (fsNamespaces.has(object) && FS_WRITES.has(node.name.text)) offending.push(`${s.file}:${lineOf(node)} -> ${node.name.text}`);
        } else if (ts.isElementAccessExpression(node) && node.expression.getText() === 'process') {
          offending.push(`${s.file}:${lineOf(node)} -> ${node.getText()}`);
        }
        ts.forEachChild(node, visit);
      };
      visit(s.ast);
    }
    expect(offending, `environment reads and file writes in the core:${arrows(offending)}`).to.deep.equal([]);
  });

  it('no cycle of value imports joins two folders (a load-order crash waiting for its import order)', () => {
    const crossing = importCycles(SOURCES).filter((cycle) => new Set(cycle.map((file) => dirname(file))).size > 1);
    expect(
      crossing.map((cycle) => cycle.join(' <-> ')),
      `import cycles across folders:${arrows(crossing.map((c) => c.join(' <-> ')))}`,
    ).to.deep.equal([]);
  });

  for (const [layer, order] of [
    ['core', CORE_ORDER],
    ['lab', LAB_ORDER],
  ] as const) {
    it(`inside the ${layer}, units import only those before them: ${order.join(' < ')}`, () => {
      const units = new Set(SOURCES.filter((s) => layerOf(s.file) === layer).map((s) => unitOf(s.file)));
      expect(
        [...units].filter((u) => !order.includes(u)),
        `${layer} units missing from the order in test/layers.test.ts`,
      ).to.deep.equal([]);
      const offending: string[] = [];
      for (const s of SOURCES.filter((s) => layerOf(s.file) === layer)) {
        const from = order.indexOf(unitOf(s.file));
        for (const spec of s.specifiers) {
          if (!spec.startsWith('.')) continue;
          const to = target(s.file, spec);
          if (!to.startsWith('src/') || layerOf(to) !== layer) continue;
          const unit = unitOf(to);
          if (unit !== unitOf(s.file) && order.indexOf(unit) > from) offending.push(`${s.file} -> ${to}`);
        }
      }
      expect(offending, `${layer} imports running back up:${arrows(offending)}`).to.deep.equal([]);
    });
  }

  it("the optional dependencies are loaded on demand: nothing the CLI or `import 'tinyforge'` loads at start imports one", () => {
    const optional = Object.keys(
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { optionalDependencies?: Record<string, string> }).optionalDependencies ?? {},
    );
    expect(optional).to.include.members(['@tensorflow/tfjs', 'ts-morph', 'chart.js', 'bullmq', 'ioredis']);
    const offending: string[] = [];
    for (const entry of ['src/face/cli/main.ts', 'src/index.ts']) {
      const { files, packages } = staticClosure(entry);
      expect(files.size, `files ${entry} loads`).to.be.greaterThan(50);
      for (const pkg of optional) if (packages.has(pkg)) offending.push(`${packages.get(pkg)!.join(' -> ')} -> ${pkg}`);
    }
    expect(offending, `static imports of optional dependencies at start-up:${arrows(offending)}`).to.deep.equal([]);
  });
});
