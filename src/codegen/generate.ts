import { join, resolve } from 'node:path';
import { DTYPE_C, type Graph, type Tensor, byteSize, elementCount } from '../ir/graph.ts';
import { fromBytes, variableResetByte } from '../ir/buffers.ts';
import type { KernelIsa, LayerEmitContext } from '../ops/op.ts';
import type { PreparedGraph, PreparedLayer } from '../ops/prepare.ts';
import { cArrayBody, renderOpTemplate, renderTemplateFile } from '../ops/common/render.ts';
import { cFilesFor } from './c_files.ts';
import type { MemoryPlan } from '../plan/arena.ts';

export const TEMPLATES_DIR = resolve(import.meta.dirname, '../../templates');

/** A generated file: its name inside the output directory and its text. */
export interface GeneratedFile {
  name: string;
  text: string;
}

export interface GeneratedModel {
  prefix: string;
  files: GeneratedFile[];
}

interface ConstArray {
  symbol: string;
  ctype: string;
  count: number;
  body: string;
  comment: string;
}

/**
 * Lowers a prepared, planned graph to C: `model.h` (public API), `model.c` (arena, one specialised
 * function per layer, the call sequence), `weights.c`/`weights.h` (const arrays in flash), and the
 * C files the layers' kernel variants need (c_files.ts), no others.
 */
export function generateC(prepared: PreparedGraph, plan: MemoryPlan, isa: KernelIsa | undefined = prepared.isa): GeneratedModel {
  const { graph } = prepared;
  const prefix = `tf_${graph.name}`;
  const consts: ConstArray[] = [];
  const constOfTensor = new Map<number, string>();
  const arena = `${prefix}_arena`;

  const tensorPointer = (index: number): string => {
    const t = graph.tensors[index]!;
    if (t.data) {
      let symbol = constOfTensor.get(index);
      if (!symbol) {
        symbol = `${prefix}_t${index}`;
        constOfTensor.set(index, symbol);
        consts.push(tensorConst(symbol, t));
      }
      return symbol;
    }
    const offset = plan.tensorOffset.get(index);
    if (offset === undefined) throw new Error(`internal: tensor ${index} has no arena offset`);
    return `((${DTYPE_C[t.dtype]} *)(${arena} + ${offset}))`;
  };

  const definedOnce = new Set<string>();
  const declaredCFiles = new Set<string>();
  const layers = prepared.layers.map((layer) => {
    const fnName = `${prefix}_layer${layer.position}`;
    if (layer.isAlias) return { ...layerView(graph, layer), fnName, code: '', isAlias: true };
    // file-scope blocks the layer shares with others go before the first layer that needs them
    const shared: string[] = [];
    const defineOnce = (key: string, code: string) => {
      if (definedOnce.has(key)) return;
      definedOnce.add(key);
      shared.push(code);
    };
    const code = layer.variant.emit(layer.params, emitContext(prepared, layer, plan, fnName, prefix, tensorPointer, consts, isa, defineOnce));
    layer.variant.cFiles?.forEach((f) => declaredCFiles.add(f));
    return { ...layerView(graph, layer), fnName, code: [...shared, code].join('\n'), isAlias: false };
  });
  const cFiles = cFilesFor(declaredCFiles, layers.map((l) => l.code).join('\n'));

  const io = (indices: number[]) => indices.map((i) => ({ offset: plan.tensorOffset.get(i) ?? 0, bytes: byteSize(graph.tensors[i]!), name: graph.tensors[i]!.name, index: i }));
  const variables = graph.tensors.filter((t) => t.isVariable && !t.data).map((t) => ({
    offset: plan.tensorOffset.get(t.index)!, bytes: byteSize(t), name: t.name, index: t.index, fill: variableResetByte(t),
  }));
  const view = {
    prefix,
    PREFIX: prefix.toUpperCase(),
    // a model named "model" (model.tflite) is prefixed tf_model: its names are the short names already
    prefixIsAlias: prefix === 'tf_model',
    name: graph.name,
    arena,
    arenaBytes: Math.max(plan.arenaBytes, 16),
    plannedBytes: plan.arenaBytes,
    alignment: plan.alignment,
    inputs: io(graph.inputs),
    outputs: io(graph.outputs),
    variables,
    layers,
    numLayers: layers.length,
    consts,
    weightBytes: consts.reduce((n, c) => n + c.count * cTypeBytes(c.ctype), 0),
    headers: cFiles.roots,
  };
  const files: GeneratedFile[] = [
    { name: 'model.h', text: renderTemplateFile(join(TEMPLATES_DIR, 'model.h.hbs'), view) },
    { name: 'model.c', text: renderTemplateFile(join(TEMPLATES_DIR, 'model.c.hbs'), view) },
    { name: 'weights.h', text: renderTemplateFile(join(TEMPLATES_DIR, 'weights.h.hbs'), view) },
    { name: 'weights.c', text: renderTemplateFile(join(TEMPLATES_DIR, 'weights.c.hbs'), view) },
    { name: 'CMakeLists.txt', text: renderTemplateFile(join(TEMPLATES_DIR, 'CMakeLists.txt.hbs'), view) },
    ...cFiles.files.map((f) => ({ name: f.name, text: f.text })),
  ];
  return { prefix, files };
}

function emitContext(
  prepared: PreparedGraph, layer: PreparedLayer, plan: MemoryPlan, fnName: string, prefix: string,
  tensorPointer: (index: number) => string, consts: ConstArray[], isa: KernelIsa | undefined,
  defineOnce: (key: string, code: string) => void,
): LayerEmitContext {
  const { op } = layer;
  const at = (list: number[], i: number, what: string) => {
    const index = list[i];
    if (index === undefined || index < 0) throw new Error(`internal: op ${op.index} (${op.kind}) has no ${what} ${i}`);
    return index;
  };
  return {
    graph: prepared.graph,
    op,
    fnName,
    prefix,
    input: (i) => tensorPointer(at(op.inputs, i, 'input')),
    output: (i) => tensorPointer(at(op.outputs, i, 'output')),
    scratch: () => {
      const offset = plan.scratchOffset.get(layer.position);
      if (offset === undefined) throw new Error(`internal: op ${op.index} (${op.kind}) asked for scratch it did not declare`);
      return `(${prefix}_arena + ${offset})`;
    },
    addConst: (suffix, ctype, values) => {
      const symbol = `${prefix}_l${layer.position}_${suffix}`;
      consts.push({ symbol, ctype, count: values.length, body: cArrayBody(values), comment: `layer ${layer.position} (${op.kind}) ${suffix}` });
      return symbol;
    },
    render: (file, view) => renderOpTemplate(layer.def.dir, file, view),
    isa,
    defineOnce,
  };
}

function tensorConst(symbol: string, t: Tensor): ConstArray {
  const values = fromBytes(t.dtype, t.data!);
  const ctype = DTYPE_C[t.dtype];
  const body = t.dtype === 'float32' ? cArrayBody(Array.from(values as Float32Array, floatLiteral)) : cArrayBody(values as ArrayLike<number>);
  return { symbol, ctype, count: elementCount(t.shape) || values.length, body, comment: `tensor ${t.index} "${t.name}" ${t.dtype}[${t.shape.join(', ')}]` };
}

function floatLiteral(v: number): string {
  if (Number.isNaN(v)) return '(0.0f / 0.0f)';
  if (!Number.isFinite(v)) return v > 0 ? '(1.0f / 0.0f)' : '(-1.0f / 0.0f)';
  return `${v.toPrecision(9)}f`;
}

function cTypeBytes(ctype: string): number {
  return /64/.test(ctype) ? 8 : /32|float/.test(ctype) ? 4 : /16/.test(ctype) ? 2 : 1;
}

function layerView(graph: Graph, layer: PreparedLayer) {
  const shape = (i: number) => (i >= 0 ? `[${graph.tensors[i]!.shape.join('x')}]` : '-');
  return {
    position: layer.position,
    opIndex: layer.op.index,
    kind: layer.op.kind,
    inputs: layer.op.inputs.filter((i) => i >= 0 && !graph.tensors[i]!.data).map(shape).join(', '),
    outputs: layer.op.outputs.map(shape).join(', '),
    macs: layer.macs,
  };
}
