// SPDX-License-Identifier: Apache-2.0
/**
 * Test harness for one op at a time: small graphs built in code, the op's TS reference kernel, and its
 * emitted C compiled by the host gcc (C99, every warning an error, ASan + UBSan) and run, so the two
 * can be compared byte for byte.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  DTYPE_C,
  type DType,
  type FusedActivation,
  type Graph,
  type Op,
  type OpAttrs,
  type Padding,
  type Quantization,
  type Tensor,
  byteSize,
  elementCount,
} from '../../src/core/ir/graph.ts';
import { type TensorBuffer, allocBuffer, fromBytes, toBytes } from '../../src/core/ir/buffers.ts';
import { type KernelIsa, type LayerEmitContext, type OpDef, isaFamily } from '../../src/core/ops/op.ts';
import { renderOpTemplate } from '../../src/core/ops/common/render.ts';
import { selectVariant } from '../../src/core/ops/variant.ts';
import { seededRandom } from '../../src/lab/data/dataset.ts';
import { suiteChoices } from './prefer.ts';
import { type CFile, OPS_DIR, cFilesFor } from '../../src/core/codegen/c_files.ts';
import { outputSize } from '../../src/core/ops/common/families/padding.ts';
import { tflmOutputs, tflmRefAvailable } from './tflm_ref.ts';
import { layerText } from '../../src/core/ops/layer_code.ts';

// ---------------------------------------------------------------------------------------------
// Building graphs

export interface TensorSpec {
  shape: number[];
  dtype?: DType;
  /** per-tensor: one scale and zero point */
  scale?: number | number[];
  zeroPoint?: number | number[];
  axis?: number;
  /** constant contents */
  data?: TensorBuffer;
  name?: string;
}

/** A graph holding exactly one op: inputs (null = absent optional input) and outputs by spec. */
export function singleOpGraph(kind: string, inputs: (TensorSpec | null)[], outputs: TensorSpec[], attrs: OpAttrs = {}): { graph: Graph; op: Op } {
  const tensors: Tensor[] = [];
  const add = (spec: TensorSpec, role: string): number => {
    const index = tensors.length;
    const scales = spec.scale === undefined ? undefined : ([] as number[]).concat(spec.scale);
    const zeros = spec.zeroPoint === undefined ? undefined : ([] as number[]).concat(spec.zeroPoint);
    const quant: Quantization | undefined = scales ? { scale: scales, zeroPoint: zeros ?? scales.map(() => 0), axis: spec.axis ?? 0 } : undefined;
    tensors.push({
      index,
      name: spec.name ?? `${role}${index}`,
      shape: spec.shape,
      dtype: spec.dtype ?? 'int8',
      quant,
      data: spec.data ? new Uint8Array(toBytes(spec.data)) : undefined,
    });
    return index;
  };
  const inIdx = inputs.map((s) => (s ? add(s, 'in') : -1));
  const outIdx = outputs.map((s) => add(s, 'out'));
  const op: Op = { index: 0, kind, inputs: inIdx, outputs: outIdx, attrs };
  const graph: Graph = {
    name: `test_${kind.toLowerCase()}`,
    tensors,
    ops: [op],
    inputs: inIdx.filter((i) => i >= 0 && !tensors[i]!.data),
    outputs: outIdx,
  };
  return { graph, op };
}

/** A 2-D pool layer (AVERAGE_POOL_2D / MAX_POOL_2D) on int8 NHWC, input and output sharing quantization. */
export interface PoolCase {
  shape: [number, number, number, number];
  filter: [number, number];
  stride: [number, number];
  padding: Padding;
  activation?: FusedActivation;
  scale?: number;
  zeroPoint?: number;
}

export function poolGraph(kind: string, c: PoolCase): { graph: Graph; op: Op } {
  const [n, h, w, ch] = c.shape;
  const outH = outputSize(c.padding, h, c.filter[0], c.stride[0]);
  const outW = outputSize(c.padding, w, c.filter[1], c.stride[1]);
  const q = { scale: c.scale ?? 0.05, zeroPoint: c.zeroPoint ?? 0 };
  return singleOpGraph(kind, [{ shape: c.shape, ...q }], [{ shape: [n, outH, outW, ch], ...q }], {
    padding: c.padding,
    strideH: c.stride[0],
    strideW: c.stride[1],
    filterH: c.filter[0],
    filterW: c.filter[1],
    activation: c.activation ?? 'NONE',
  });
}

// ---------------------------------------------------------------------------------------------
// Running the TS reference kernel

/**
 * check + prepare + evaluate. `inputs` gives the values of the non-constant inputs in input order
 * (constants come from the graph); returns one buffer per output.
 */
export function evaluateOp(def: OpDef, graph: Graph, op: Op, inputs: TensorBuffer[]): TensorBuffer[] {
  def.check(graph, op);
  const params = def.prepare(graph, op, suiteChoices().kernels);
  const values = opInputValues(graph, op, inputs);
  const outs = op.outputs.map((o) => allocBuffer(graph.tensors[o]!.dtype, elementCount(graph.tensors[o]!.shape)));
  def.evaluate(params, values, outs);
  return outs;
}

function opInputValues(graph: Graph, op: Op, inputs: TensorBuffer[]): (TensorBuffer | undefined)[] {
  let next = 0;
  return op.inputs.map((i) => {
    if (i < 0) return undefined;
    const t = graph.tensors[i]!;
    if (t.data) return fromBytes(t.dtype, t.data);
    const v = inputs[next++];
    if (!v) throw new Error(`test: no value given for non-constant input tensor ${i}`);
    return v;
  });
}

// ---------------------------------------------------------------------------------------------
// The oracle: TensorFlow Lite Micro

/**
 * Writes the single-op graph as a .tflite with our writer, runs it in TensorFlow Lite Micro
 * (`tflm-ref`, reference kernels) and compares its first output with the reference kernel's. Returns
 * the first difference, if any. Where tflm-ref is absent (a user's clone) it prints a notice and
 * compares nothing; under CI=true its absence fails.
 */
export async function tfliteInterpreterDifference(def: OpDef, graph: Graph, op: Op, inputs: TensorBuffer[]): Promise<string | undefined> {
  if (!tflmRefAvailable()) return undefined;
  const ours = new Uint8Array(toBytes(evaluateOp(def, graph, op, inputs)[0]!));
  const theirs = tflmOutputs(
    graph,
    inputs.map((b) => new Uint8Array(toBytes(b))),
  );
  return firstDifference(theirs[0]!, ours);
}

/**
 * The same over every output of the op (multi-output ops such as SPLIT and UNPACK): the first
 * difference, prefixed with the output position, or undefined when all agree.
 */
export async function tfliteInterpreterDifferences(def: OpDef, graph: Graph, op: Op, inputs: TensorBuffer[]): Promise<string | undefined> {
  if (!tflmRefAvailable()) return undefined;
  const ours = evaluateOp(def, graph, op, inputs).map((b) => new Uint8Array(toBytes(b)));
  const theirs = tflmOutputs(
    graph,
    inputs.map((b) => new Uint8Array(toBytes(b))),
  );
  if (theirs.length !== ours.length) return `outputs: expected ${ours.length}, got ${theirs.length}`;
  for (let i = 0; i < ours.length; i++) {
    const d = firstDifference(theirs[i]!, ours[i]!);
    if (d) return `output ${i}: ${d}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Running the emitted C

export interface CCase {
  def: OpDef;
  graph: Graph;
  op: Op;
  /** values of the non-constant inputs, in input order */
  inputs: TensorBuffer[];
  /** emit the kernel variant of this ISA (default: portable C); DSP variants run on the host through arm_dsp.h's C twins */
  isa?: KernelIsa;
}

/**
 * Emits every case's C into one program (one function each, every tensor in its own static buffer so
 * ASan sees any access past its end), compiles it with gcc and runs it. Returns, per case, the raw
 * bytes of each output.
 */
export function runCasesInC(cases: CCase[]): Uint8Array[][] {
  const parts: string[] = [];
  const calls: string[] = [];
  const outputSizes: number[][] = [];
  const definedOnce = new Set<string>();
  const declaredCFiles = new Set<string>();
  cases.forEach((c, k) => {
    const { def, graph, op } = c;
    def.check(graph, op);
    const params = def.prepare(graph, op, suiteChoices().kernels);
    const values = opInputValues(graph, op, c.inputs);
    const decls: string[] = [];
    const named = new Map<number, string>();
    const pointer = (index: number, readOnly: boolean): string => {
      const t = graph.tensors[index]!;
      const ctype = DTYPE_C[t.dtype];
      let symbol = named.get(index);
      if (!symbol) {
        symbol = `c${k}_t${index}`;
        named.set(index, symbol);
        if (t.data) {
          const data = fromBytes(t.dtype, t.data);
          decls.push(constArray(ctype, symbol, '', data, () => cValues(t.dtype, data)));
        } else {
          decls.push(`static ${ctype} ${symbol}[${Math.max(1, elementCount(t.shape))}] __attribute__((aligned(16)));`);
        }
      }
      return t.data || readOnly ? symbol : `((${ctype} *)${symbol})`;
    };
    const fnName = `case${k}_layer`;
    let scratchSymbol: string | undefined;
    const variant = selectVariant(def, params, c.isa, suiteChoices().prefer, suiteChoices().kernels);
    variant.cFiles?.forEach((f) => declaredCFiles.add(f));
    variant.layerCFiles?.(params).forEach((f) => declaredCFiles.add(f));
    const scratchBytes = variant.scratchBytes?.(params, { isa: c.isa, prefer: suiteChoices().prefer ?? 'speed' }) ?? 0;
    const ctx: LayerEmitContext = {
      graph,
      op,
      fnName,
      prefix: `c${k}`,
      input: (i) => {
        const index = op.inputs[i];
        if (index === undefined || index < 0) throw new Error(`test: ${op.kind} asked for absent input ${i}`);
        return pointer(index, false);
      },
      output: (i) => pointer(op.outputs[i]!, false),
      scratch: () => {
        if (scratchBytes <= 0) throw new Error(`test: ${op.kind} asked for scratch without declaring scratchBytes`);
        scratchSymbol ??= `c${k}_scratch`;
        return scratchSymbol;
      },
      addConst: (suffix, ctype, values, align) => {
        const symbol = `c${k}_${suffix}`;
        // C has no empty arrays: an empty table (an all-zero sparse layer's) is one unread 0, as codegen writes it
        const aligned = align ? ` __attribute__((aligned(${align})))` : '';
        decls.push(constArray(ctype, symbol, aligned, values, () => (values.length > 0 ? Array.from(values).join(', ') : '0')));
        return symbol;
      },
      render: (file, view) => renderOpTemplate(def.dir, file, view),
      isa: c.isa,
      defineOnce: (key, code) => {
        if (definedOnce.has(key)) return;
        definedOnce.add(key);
        decls.push(code);
      },
    };
    const code = layerText(variant.emit(params, ctx));
    if (scratchSymbol) decls.push(`static uint8_t ${scratchSymbol}[${scratchBytes}] __attribute__((aligned(16)));`);
    // fill the non-constant inputs, run, print the outputs
    const body: string[] = [];
    op.inputs.forEach((index, i) => {
      if (index < 0 || graph.tensors[index]!.data) return;
      const t = graph.tensors[index]!;
      const symbol = pointer(index, true);
      const init = `c${k}_init${i}`;
      decls.push(constArray(DTYPE_C[t.dtype], init, '', values[i]!, () => cValues(t.dtype, values[i]!)));
      body.push(`  memcpy(${symbol}, ${init}, sizeof ${init});`);
    });
    body.push(`  ${fnName}();`);
    op.outputs.forEach((index) => body.push(`  fwrite(${pointer(index, true)}, 1, ${byteSize(graph.tensors[index]!)}, stdout);`));
    outputSizes.push(op.outputs.map((index) => byteSize(graph.tensors[index]!)));
    parts.push(decls.join('\n'), code);
    // noinline: GCC would inline every case into main (each is called once), and one function of
    // every case costs its register allocator far more than the cases apart; the layers inline into
    // their own case as before
    calls.push(`__attribute__((noinline)) static void run_case${k}(void) {\n${body.join('\n')}\n}`);
  });
  // the files of every family the cases take (one program may hold several families' kernels)
  const cFiles = { files: [] as CFile[], roots: [] as string[] };
  for (const family of new Set(cases.map((c) => isaFamily(c.isa)))) {
    const some = cFilesFor(declaredCFiles, parts.join('\n'), family);
    for (const f of some.files) if (!cFiles.files.some((g) => g.name === f.name)) cFiles.files.push(f);
    for (const r of some.roots) if (!cFiles.roots.includes(r)) cFiles.roots.push(r);
  }
  const program = [
    // the byte tables are string literals (constArray), longer than the 4095 characters C99 promises
    '#pragma GCC diagnostic ignored "-Woverlength-strings"',
    '#include <stdint.h>',
    '#include <stdio.h>',
    '#include <string.h>',
    ...cFiles.roots.map((h) => `#include "${h}"`),
    ...parts,
    ...calls,
    'int main(void) {',
    ...cases.map((_, k) => `  run_case${k}();`),
    '  return 0;',
    '}',
  ].join('\n');
  const stdout = compileAndRun(program, cFiles.files);
  const results: Uint8Array[][] = [];
  let at = 0;
  for (const sizes of outputSizes) {
    results.push(sizes.map((n) => stdout.subarray(at, (at += n))));
  }
  if (at !== stdout.length) throw new Error(`test: C program wrote ${stdout.length} bytes, expected ${at}`);
  return results;
}

/**
 * The rooms of src/core/ops/common (numerics, isa, codecs, families) as include paths: a header read in
 * place includes its neighbours by bare name, as in the one flat folder codegen writes.
 */
/** The host build of generated C in tests: strict C99, every warning an error, ASan + UBSan without recovery. */
export const STRICT_HOST_CFLAGS = [
  '-std=c99',
  '-Wall',
  '-Wextra',
  '-Wpedantic',
  '-Wshadow',
  '-Werror',
  '-O1',
  '-fsanitize=address,undefined',
  '-fno-sanitize-recover=all',
];

const COMMON_INCLUDES = ['numerics', 'isa', 'codecs', 'families'].map((room) => `-I${join(OPS_DIR, 'common', room)}`);

/**
 * Compiles one C99 program with every warning an error and the sanitizers, runs it, returns stdout.
 * `files` (kernel headers) are written beside it, as codegen writes them beside model.c.
 */
export function compileAndRun(program: string, files: readonly CFile[] = []): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-op-'));
  try {
    for (const f of files) writeFileSync(join(dir, f.name), f.text);
    const src = join(dir, 'case.c');
    const exe = join(dir, 'case');
    writeFileSync(src, program);
    try {
      execFileSync('gcc', [...STRICT_HOST_CFLAGS, ...COMMON_INCLUDES, src, '-o', exe, '-lm'], {
        stdio: 'pipe',
      });
    } catch (e) {
      const err = e as { stderr?: Buffer };
      throw new Error(`gcc failed:\n${err.stderr?.toString() ?? e}\n--- program ---\n${numbered(program)}`);
    }
    return new Uint8Array(execFileSync(exe, [], { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function numbered(text: string): string {
  return text
    .split('\n')
    .map((l, i) => `${String(i + 1).padStart(4)} ${l}`)
    .join('\n');
}

/**
 * A static const table: an int8_t or uint8_t one as a string literal of exactly its length (no NUL),
 * which GCC parses several times faster than a list of numbers (the recorded layers' weights and inputs
 * are megabytes of them), any other as `{ list }`; the same array either way (type, length, bytes).
 */
function constArray(ctype: string, symbol: string, aligned: string, values: ArrayLike<number | bigint>, list: () => string): string {
  const bytes = ctype === 'int8_t' || ctype === 'uint8_t' ? byteValues(ctype, values) : null;
  if (!bytes || bytes.length === 0) return `static const ${ctype} ${symbol}[]${aligned} = { ${list()} };`;
  let text = '';
  for (const b of bytes) text += `\\${(b & 255).toString(8).padStart(3, '0')}`;
  return `static const ${ctype} ${symbol}[${bytes.length}]${aligned} = "${text}";`;
}

/** The values as bytes when every one is an integer in the range of `ctype`, else null. */
function byteValues(ctype: 'int8_t' | 'uint8_t', values: ArrayLike<number | bigint>): number[] | null {
  const [lo, hi] = ctype === 'int8_t' ? [-128, 127] : [0, 255];
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) return null;
    out.push(v);
  }
  return out;
}

function cValues(dtype: DType, values: TensorBuffer): string {
  if (dtype === 'float32') return Array.from(values as Float32Array, cFloat).join(', ');
  if (dtype === 'int32') return Array.from(values as Int32Array, (v) => (v === -2147483648 ? '(-2147483647 - 1)' : String(v))).join(', ');
  if (dtype === 'uint32') return Array.from(values as Uint32Array, (v) => `${v}u`).join(', ');
  if (dtype === 'uint64') return Array.from(values as BigUint64Array, (v) => `${v}ull`).join(', ');
  return Array.from(values as ArrayLike<number | bigint>, String).join(', ');
}

/** A C float literal that reads back as exactly `v` (9 significant digits round-trip a float32). */
export function cFloat(v: number): string {
  if (Number.isNaN(v)) return '(0.0f / 0.0f)';
  if (!Number.isFinite(v)) return v > 0 ? '(1.0f / 0.0f)' : '(-1.0f / 0.0f)';
  if (Object.is(v, -0)) return '-0.0f';
  const s = v.toPrecision(9);
  // 9 digits round-trip a float32; an integer-looking literal needs a point before the f suffix
  return /[.e]/.test(s) ? `${s}f` : `${s}.0f`;
}

// ---------------------------------------------------------------------------------------------
// Random data

/** A small deterministic PRNG (the project's seeded mulberry32) so failing cases reproduce. */
export const rng = seededRandom;

export function randomInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

export function randomInt8(rand: () => number, count: number, lo = -128, hi = 127): Int8Array {
  return Int8Array.from({ length: count }, () => randomInt(rand, lo, hi));
}

/** One case per layer of `graph`, each on random int8 values of its first input (`rand`, in layer order). */
export function int8LayerCases(def: OpDef, graph: Graph, rand: () => number, isa?: KernelIsa): CCase[] {
  return graph.ops.map((op) => ({ def, graph, op, inputs: [randomInt8(rand, elementCount(graph.tensors[op.inputs[0]!]!.shape))], isa }));
}

export function randomInt16(rand: () => number, count: number, lo = -32768, hi = 32767): Int16Array {
  return Int16Array.from({ length: count }, () => randomInt(rand, lo, hi));
}

/**
 * Runs every case's C in one program (runCasesInC) and expects each case's first output to equal its
 * op's reference kernel (evaluateOp) byte for byte; a failure names the case's index and `label`.
 */
export function expectCasesBitExactInC(cases: CCase[], label: (c: CCase, k: number) => string = () => ''): void {
  const results = runCasesInC(cases);
  cases.forEach((c, k) => {
    const expected = toBytes(evaluateOp(c.def, c.graph, c.op, c.inputs)[0]!);
    const what = label(c, k);
    expect(firstDifference(expected, results[k]![0]!), what ? `case ${k} ${what}` : `case ${k}`).to.equal(undefined);
  });
}

/** A first-difference report: `index 12: expected 5, got 6` or undefined when equal. */
export function firstDifference(expected: ArrayLike<number>, actual: ArrayLike<number>): string | undefined {
  if (expected.length !== actual.length) return `length: expected ${expected.length}, got ${actual.length}`;
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] !== actual[i]) return `index ${i}: expected ${expected[i]}, got ${actual[i]}`;
  }
  return undefined;
}

/** The C the chosen kernel emits for one layer (pointers and tables by name only): for tests that read the emitted code. */
export function emitLayerC(def: OpDef, c: { graph: Graph; op: Op }, isa?: KernelIsa): string {
  def.check(c.graph, c.op);
  const params = def.prepare(c.graph, c.op, suiteChoices().kernels);
  const ctx: LayerEmitContext = {
    graph: c.graph,
    op: c.op,
    fnName: 'layer',
    prefix: 'l',
    input: (i) => `t${c.op.inputs[i]}`,
    output: (i) => `t${c.op.outputs[i]}`,
    scratch: () => 'scratch',
    addConst: (suffix) => `l_${suffix}`,
    render: (file, view) => renderOpTemplate(def.dir, file, view),
    isa,
    defineOnce: () => undefined,
  };
  return layerText(selectVariant(def, params, isa, suiteChoices().prefer, suiteChoices().kernels).emit(params, ctx));
}
