// SPDX-License-Identifier: Apache-2.0
/**
 * No-op data movement becomes an alias. An op that moves every element of its input to the same
 * place in its output (a TRANSPOSE that only moves dimensions of extent 1, such as NCHW → NHWC of a
 * one-channel image; a SLICE or STRIDED_SLICE of everything; a PAD by zeros; a SPLIT, UNPACK,
 * CONCATENATION or PACK of one piece; SPACE_TO_DEPTH / DEPTH_TO_SPACE with block 1; a RESIZE to the
 * same size) is replaced by a RESHAPE, which the planner aliases: zero bytes, zero instructions.
 * (RESHAPE, SQUEEZE and EXPAND_DIMS are aliases by definition.) A constant input is left alone:
 * constant folding handles those.
 */
import { TinyforgeError } from '../errors.ts';
import type { Graph, Op } from '../ir/graph.ts';
import { elementCount, isConstant } from '../ir/graph.ts';
import { opDef } from '../ops/index.ts';
import { type MovementParams, isIdentityMovement } from '../ops/common/families/strided_copy.ts';
import type { ResizeNearestParams } from '../ops/resize_nearest_neighbor/index.ts';
import type { Interpolation, ResizeBilinearParams } from '../ops/resize_bilinear/index.ts';

const MOVEMENT_KINDS = new Set([
  'TRANSPOSE',
  'PAD',
  'PADV2',
  'SLICE',
  'STRIDED_SLICE',
  'SPLIT',
  'SPLIT_V',
  'UNPACK',
  'CONCATENATION',
  'PACK',
  'SPACE_TO_DEPTH',
  'DEPTH_TO_SPACE',
]);
const RESIZE_KINDS = new Set(['RESIZE_NEAREST_NEIGHBOR', 'RESIZE_BILINEAR']);

export function aliasNoOps(graph: Graph): Graph {
  let changed = false;
  const ops = graph.ops.map((op) => {
    const source = identitySource(graph, op);
    if (source === undefined || isConstant(graph.tensors[source]!)) return op;
    changed = true;
    const alias: Op = { index: op.index, kind: 'RESHAPE', inputs: [source], outputs: [op.outputs[0]!], attrs: {} };
    return alias;
  });
  return changed ? { ...graph, ops } : graph;
}

/** The tensor whose bytes `op` copies unchanged into its only output, if it does nothing else. */
function identitySource(graph: Graph, op: Op): number | undefined {
  if (op.outputs.length !== 1) return undefined;
  const def = opDef(op.kind);
  if (!def || !(MOVEMENT_KINDS.has(op.kind) || RESIZE_KINDS.has(op.kind))) return undefined;
  try {
    def.check(graph, op);
    const params = def.prepare(graph, op);
    if (op.kind === 'RESIZE_NEAREST_NEIGHBOR') {
      const p = params as ResizeNearestParams;
      return p.inH === p.outH && p.inW === p.outW && p.rows.every((r, y) => r === y) && p.cols.every((c, x) => c === x) ? op.inputs[0] : undefined;
    }
    if (op.kind === 'RESIZE_BILINEAR') {
      const p = params as ResizeBilinearParams;
      const exact = (t: Interpolation, i: number) => t.lo === i && t.frac === 0;
      return p.inH === p.outH && p.inW === p.outW && p.rows.every(exact) && p.cols.every(exact) ? op.inputs[0] : undefined;
    }
    const p = params as MovementParams;
    if (!isIdentityMovement(p)) return undefined;
    // a copy of all the output's elements from offset 0 is the identity only when the input has no
    // more (a one-element slice of [1,3,1] also copies "everything" of its output; found by the fuzzer)
    const source = op.inputs[p.moves[0]!.input]!;
    return elementCount(graph.tensors[source]!.shape) === elementCount(graph.tensors[op.outputs[0]!]!.shape) ? source : undefined;
  } catch (e) {
    if (e instanceof TinyforgeError) return undefined;
    throw e;
  }
}
