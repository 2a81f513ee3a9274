// SPDX-License-Identifier: Apache-2.0
/**
 * `.onnx` -> Graph. Decodes the ModelProto (schema.ts), checks what the IR relies on (IR version,
 * opsets, static shapes, initializers inside the file), then lowers the nodes in order, one lowering
 * per op type (ops/), into the TFLite-shaped IR: QDQ groups become quantized ops, float nodes float
 * ops, NCHW activations NHWC. Every problem is one TinyforgeError line naming the file and the node
 * or tensor.
 *
 * Layout at the model's edges (`OnnxReadOptions.layout`): by default (`channels-last`) an input its
 * first layer reads channels last is declared channels last (NHWC, NWC) and an output computed
 * channels last stays so: no transpose runs on the board, and `tensor.onnx.perm` records the layout
 * for the host-side tools (edge_layout.ts). `as-exported` keeps ONNX's own shapes and byte order
 * (NCHW): the graph transposes a 4-D input to NHWC where its first layer needs it (a TRANSPOSE, read
 * through by a following PAD when there is one, see passes/fold_transposes.ts) and back before a
 * 4-D output.
 */
import { basename } from 'node:path';
import { TinyforgeError } from '../../errors.ts';
import { type Graph, cIdentifier } from '../../ir/graph.ts';
import { readUserFile } from '../read_file.ts';
import { type OnnxBindings, bindGraphInputs } from './bind.ts';
import { type OnnxLayout, channelsLastInputs } from './edge_layout.ts';
import { Lowering } from './lowering.ts';
import { onnxOpLowering } from './ops/index.ts';
import { qoperatorToQdq } from './qoperator.ts';
import { type OnnxModelProto, decodeModelProto } from './schema.ts';
import { TensorContentError, declaredType, dtypeOfOnnx, onnxTypeName, tensorValues } from './tensors.ts';
import { type ActivationValue, channelsLastPerm, identityPerm, samePerm } from './values.ts';

/** The oldest opset of the default domain read without looking at each op (older ones: per op). */
export const ONNX_MIN_OPSET = 13;
/** ONNX IR versions tinyforge reads (3: opset imports; 10: ONNX 1.16). */
const IR_VERSIONS = [3, 11] as const;

export interface OnnxReadOptions {
  /** the layout of the model's inputs and outputs in the compiled model (default `channels-last`) */
  layout?: OnnxLayout;
  /** graph inputs that are constants, each read from a file (bind.ts) */
  bind?: OnnxBindings;
}

/** Reads a `.onnx` file into the IR. */
export function readOnnx(path: string, options: OnnxReadOptions = {}): Graph {
  return parseOnnx(readUserFile(path, 'model file (.onnx)'), path, options);
}

/** Keeps a message on one line whatever names a (possibly corrupt) file holds. */
function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, '?');
}

/** Parses the bytes of a `.onnx` file; `fileName` names the model and appears in every error. */
export function parseOnnx(bytes: Uint8Array, fileName: string, options: OnnxReadOptions = {}): Graph {
  const channelsLast = (options.layout ?? 'channels-last') === 'channels-last';
  const fail = (problem: string) => new TinyforgeError(`${fileName}: ${oneLine(problem)}`);
  if (bytes.length === 0) throw fail('empty file, not an ONNX model');
  let model: OnnxModelProto;
  try {
    model = decodeModelProto(bytes);
  } catch (e) {
    throw fail(`not an ONNX model: the bytes do not decode as an ONNX ModelProto (${(e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ')})`);
  }
  const irVersion = model.irVersion;
  if (!model.graph || irVersion === undefined) throw fail('not an ONNX model (no ir_version or graph)');
  if (irVersion < IR_VERSIONS[0] || irVersion > IR_VERSIONS[1])
    throw fail(`ONNX IR version ${irVersion} is not supported (${IR_VERSIONS[0]} to ${IR_VERSIONS[1]})`);
  const defaultOpset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!defaultOpset || defaultOpset.version === undefined) throw fail('the model imports no opset of the default ONNX domain');
  const opset = Number(defaultOpset.version);
  // QOperator nodes (QLinearConv, ...) become DequantizeLinear -> float op -> QuantizeLinear first
  const graph = qoperatorToQdq(bindGraphInputs(model.graph, options.bind, fileName), fileName);
  const nodes = graph.node ?? [];

  const consumers = new Map<string, number[]>();
  nodes.forEach((node, i) => (node.input ?? []).forEach((name) => name && consumers.set(name, [...(consumers.get(name) ?? []), i])));
  for (const out of graph.output ?? []) if (out.name) consumers.set(out.name, [...(consumers.get(out.name) ?? []), -1]);
  const ctx = new Lowering(fileName, nodes, consumers, opset);

  for (const init of graph.initializer ?? []) {
    const name = init.name ?? '';
    try {
      ctx.values.set(name, { kind: 'const', ...tensorValues(init) });
    } catch (e) {
      if (e instanceof TensorContentError) throw fail(`initializer '${name}': ${e.message}`);
      throw e;
    }
  }

  const inputs: number[] = [];
  for (const input of graph.input ?? []) {
    const name = input.name ?? '';
    if (ctx.values.has(name)) continue; // an initializer listed as an input (IR version < 4 style): a constant
    const declared = declaredType(input);
    const dtype = dtypeOfOnnx(declared.elemType);
    if (!dtype || !['float32', 'int8', 'uint8'].includes(dtype))
      throw fail(`graph input '${name}': element type ${onnxTypeName(declared.elemType)} is not supported (float, int8 or uint8)`);
    if (!declared.dims) throw fail(`graph input '${name}' has no shape: tinyforge compiles static shapes`);
    const shape = declared.dims.map((d, axis) => {
      if (typeof d === 'number' && d > 0) return d;
      // a symbolic batch dimension: one sample at a time
      if (axis === 0 && typeof d === 'string') return 1;
      throw fail(
        `graph input '${name}': dimension ${axis} is ${typeof d === 'string' ? `symbolic ('${d}')` : d}; only the batch dimension (0) may be symbolic`,
      );
    });
    const index = ctx.addTensor(name, dtype, shape);
    ctx.graphInputs.add(name);
    inputs.push(index);
    ctx.values.set(name, { kind: 'tensor', index, perm: identityPerm(shape.length) });
  }

  nodes.forEach((node, i) => {
    if (ctx.absorbed.has(i)) return;
    const domain = node.domain ?? '';
    const lowering = onnxOpLowering(domain, node.opType ?? '');
    const inDefault = domain === '' || domain === 'ai.onnx';
    if (!lowering) {
      const version = inDefault ? opset : (model.opsetImport ?? []).find((o) => o.domain === domain)?.version;
      throw ctx.fail(node, `op ${inDefault ? '' : `${domain}.`}${node.opType} (opset ${version ?? '?'}) is not supported`);
    }
    if (inDefault && opset < ONNX_MIN_OPSET && opset < lowering.minOpset)
      throw ctx.fail(
        node,
        `opset ${opset}: tinyforge reads ${node.opType} from opset ${lowering.minOpset} on; export the model at opset ${ONNX_MIN_OPSET} or later`,
      );
    ctx.beginNode(i);
    try {
      lowering.lower(ctx, node);
    } catch (e) {
      if (e instanceof TinyforgeError) throw e;
      throw ctx.fail(node, `cannot be lowered (${e instanceof Error ? e.message : String(e)})`);
    }
    ctx.endNode(node, i);
  });

  const outputs: number[] = [];
  const finished: { name: string; value: ActivationValue }[] = [];
  ctx.beginNode(nodes.length);
  for (const output of graph.output ?? []) {
    const name = output.name ?? '';
    const value = ctx.values.get(name);
    if (!value) throw fail(`graph output '${name}' is produced by no node`);
    if (value.kind === 'qconst') throw fail(`graph output '${name}' is a dequantized constant: tinyforge gives a constant output as stored`);
    if (value.kind === 'const') {
      // the compiled model copies it from flash (passes/constant_outputs.ts)
      const index = ctx.addConstant(name, value.dtype, [...value.dims], value.values);
      ctx.tensors[index]!.onnx = { name };
      outputs.push(index);
      continue;
    }
    const done = finishOutput(ctx, name, value, dtypeOfOnnx(declaredType(output).elemType), channelsLast);
    finished.push({ name, value: done });
    outputs.push(done.index);
  }
  ctx.endGraphOutputs();
  if (channelsLast) channelsLastInputs(ctx, inputs, new Set(outputs));
  recordOnnxValues(ctx);
  // an output tensor added for ONNX's type (a DEQUANTIZE, a uint8 QUANTIZE) holds the value too, in its layout
  for (const { name, value } of finished) {
    const t = ctx.tensors[value.index]!;
    if (!t.onnx) t.onnx = samePerm(value.perm, identityPerm(value.perm.length)) ? { name } : { name, perm: [...value.perm] };
  }
  if (inputs.length === 0)
    throw fail(
      outputs.every((o) => ctx.tensors[o]!.data)
        ? 'every graph output is a constant and the graph has no inputs: tinyforge runs models that compute from at least one input'
        : 'the graph has no inputs: tinyforge runs models that compute from at least one input',
    );
  if (ctx.ops.length === 0 && outputs.every((o) => !ctx.tensors[o]!.data)) throw fail('the graph computes nothing (no node becomes an op)');

  const lowered = [...ctx.lowered].sort((a, b) => nodeOrder(a.node, nodes) - nodeOrder(b.node, nodes));
  return {
    name: cIdentifier(basename(fileName)),
    tensors: ctx.tensors,
    ops: ctx.ops,
    inputs,
    outputs,
    ...(model.docString ? { description: model.docString } : {}),
    onnx: { opset, nodes: lowered },
  };
}

/**
 * Tells each activation tensor which ONNX value it holds and under which permutation: the
 * quantized value (a QuantizeLinear output) rather than its DequantizeLinear view where both exist.
 */
function recordOnnxValues(ctx: Lowering): void {
  const bindings = [...ctx.values.entries()].filter((e): e is [string, ActivationValue] => e[1].kind === 'tensor');
  for (const [name, value] of [...bindings.filter(([, v]) => !v.dequantized), ...bindings.filter(([, v]) => v.dequantized)]) {
    const t = ctx.tensors[value.index]!;
    if (t.onnx || t.data) continue;
    t.onnx = value.perm.every((p, i) => p === i) ? { name } : { name, perm: [...value.perm] };
  }
}

function nodeOrder(label: string, nodes: { name?: string }[]): number {
  if (label === '(graph outputs)') return nodes.length;
  if (label.startsWith('#')) return Number(label.slice(1));
  return nodes.findIndex((n) => n.name === label);
}

/**
 * A graph output in ONNX's type, and in its layout (transposed back to its ONNX axis order) unless
 * `channelsLast` keeps a channels-last value so: dequantized to float (a DequantizeLinear at the end)
 * or converted to uint8 (a uint8 QuantizeLinear at the end).
 */
function finishOutput(ctx: Lowering, name: string, value: ActivationValue, declared: string | undefined, channelsLast: boolean): ActivationValue {
  const rank = value.perm.length;
  const keep = channelsLast && rank >= 3 && samePerm(value.perm, channelsLastPerm(rank));
  let v = ctx.inLayout(value, keep ? value.perm : identityPerm(rank));
  const t = ctx.tensor(v);
  if (v.dequantized && t.dtype !== 'float32') {
    const out = ctx.addTensor(`${name}_float`, 'float32', [...t.shape]);
    ctx.addQuantizedOp('DEQUANTIZE', [v.index], [out], {}, true);
    v = { kind: 'tensor', index: out, perm: v.perm };
  } else if (declared === 'uint8' && t.dtype === 'int8') {
    const q = t.quant!;
    const out = ctx.addTensor(`${name}_uint8`, 'uint8', [...t.shape], { scale: [...q.scale], zeroPoint: q.zeroPoint.map((z) => z + 128), axis: 0 });
    ctx.addQuantizedOp('QUANTIZE', [v.index], [out], {}, true);
    v = { kind: 'tensor', index: out, perm: v.perm };
  }
  return v;
}
