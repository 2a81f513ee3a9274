// SPDX-License-Identifier: Apache-2.0
/**
 * Models with IF and WHILE (several subgraphs) for the control-flow tests, built with GraphBuilder:
 * each called subgraph is a graph of its own in `graph.subgraphs`, by file index. Test-only.
 */
import type { Graph } from '../../src/core/ir/graph.ts';
import { GraphBuilder } from './graph_builder.ts';

const F = 'float32' as const;
const B = 'bool' as const;
const QA = { scale: 0.05, zeroPoint: -3 };
const QB = { scale: 0.04, zeroPoint: 7 };
const QO = { scale: 0.08, zeroPoint: 2 };

/** `b`'s graph calling `subs` at file indices 1, 2, ... in order. */
function attach(b: GraphBuilder, subs: Graph[]): Graph {
  for (const g of subs) b.call(g);
  return b.build();
}

/** A branch subgraph: two inputs of `spec`, one output `kind`(a, b). */
function branch(name: string, kind: string, dtype: 'float32' | 'int8'): Graph {
  const b = new GraphBuilder(name);
  const [qa, qb, qo] = dtype === 'int8' ? [QA, QB, QO] : [undefined, undefined, undefined];
  const x = b.input({ shape: [2, 3], dtype, ...(qa ? { q: qa } : {}) });
  const y = b.input({ shape: [2, 3], dtype, ...(qb ? { q: qb } : {}) });
  const [z] = b.op(kind, [x, y], [{ shape: [2, 3], dtype, ...(qo ? { q: qo } : {}) }], { activation: 'NONE' });
  b.output(z!);
  return b.build();
}

/**
 * IF on a run-time bool from a comparison (GREATER of a float input and 0.5): the float branch ADD
 * or MUL of two inputs; a second IF on the same condition picks between int8 ADD and SUB, and a third
 * whose else branch returns its input untouched (a subgraph without ops).
 */
export function ifModel(): Graph {
  const b = new GraphBuilder('if_branches');
  const s = b.input({ shape: [1], dtype: F });
  const half = b.constant({ shape: [1], dtype: F }, Float32Array.from([0.5]));
  const [cond] = b.op('GREATER', [s, half], [{ shape: [1], dtype: B }]);
  const x = b.input({ shape: [2, 3], dtype: F });
  const y = b.input({ shape: [2, 3], dtype: F });
  const [f] = b.op('IF', [cond!, x, y], [{ shape: [2, 3], dtype: F }], { thenSubgraphIndex: 1, elseSubgraphIndex: 2 });
  const qx = b.input({ shape: [2, 3], q: QA });
  const qy = b.input({ shape: [2, 3], q: QB });
  const [q] = b.op('IF', [cond!, qx, qy], [{ shape: [2, 3], q: QO }], { thenSubgraphIndex: 3, elseSubgraphIndex: 4 });
  // then: NEG of the input; else: the input itself
  const [n] = b.op('IF', [cond!, x], [{ shape: [2, 3], dtype: F }], { thenSubgraphIndex: 5, elseSubgraphIndex: 6 });
  b.output(f!, q!, n!);
  const neg = new GraphBuilder('neg');
  const ni = neg.input({ shape: [2, 3], dtype: F });
  neg.output(...neg.op('NEG', [ni], [{ shape: [2, 3], dtype: F }]));
  const same = new GraphBuilder('same');
  same.output(same.input({ shape: [2, 3], dtype: F }));
  return attach(b, [
    branch('then_add', 'ADD', F),
    branch('else_mul', 'MUL', F),
    branch('then_add_q', 'ADD', 'int8'),
    branch('else_sub_q', 'SUB', 'int8'),
    neg.build(),
    same.build(),
  ]);
}

/**
 * WHILE counting i from 0 up to the input n (int32), and per step adding a constant to a float
 * accumulator and an int8 one: the loop state (i, n, acc, qacc) in the op's outputs, n passed through
 * the body unchanged (a body output that is its input).
 */
export function whileModel(): Graph {
  const b = new GraphBuilder('while_count');
  const i0 = b.constant({ shape: [1], dtype: 'int32' }, Int32Array.from([0]));
  const n = b.input({ shape: [1], dtype: 'int32' });
  const acc = b.input({ shape: [4], dtype: F });
  const qacc = b.input({ shape: [4], q: QO });
  const outs = b.op(
    'WHILE',
    [i0, n, acc, qacc],
    [
      { shape: [1], dtype: 'int32' },
      { shape: [1], dtype: 'int32' },
      { shape: [4], dtype: F },
      { shape: [4], q: QO },
    ],
    { condSubgraphIndex: 1, bodySubgraphIndex: 2 },
  );
  b.output(outs[0]!, outs[2]!, outs[3]!);

  const cond = new GraphBuilder('cond');
  const ci = cond.input({ shape: [1], dtype: 'int32' });
  const cn = cond.input({ shape: [1], dtype: 'int32' });
  cond.input({ shape: [4], dtype: F });
  cond.input({ shape: [4], q: QO });
  cond.output(...cond.op('LESS', [ci, cn], [{ shape: [1], dtype: B }]));

  const body = new GraphBuilder('body');
  const bi = body.input({ shape: [1], dtype: 'int32' });
  const bn = body.input({ shape: [1], dtype: 'int32' });
  const ba = body.input({ shape: [4], dtype: F });
  const bq = body.input({ shape: [4], q: QO });
  const one = body.constant({ shape: [1], dtype: 'int32' }, Int32Array.from([1]));
  const step = body.constant({ shape: [4], dtype: F }, Float32Array.from([0.1, -0.25, 1.5, 3e-3]));
  const qstep = body.constant({ shape: [4], q: QA }, Int8Array.from([20, -7, 3, 0]));
  const [ni] = body.op('ADD', [bi, one], [{ shape: [1], dtype: 'int32' }], { activation: 'NONE' });
  const [na] = body.op('ADD', [ba, step], [{ shape: [4], dtype: F }], { activation: 'NONE' });
  const [nq] = body.op('ADD', [bq, qstep], [{ shape: [4], q: QO }], { activation: 'NONE' });
  body.output(ni!, bn, na!, nq!);
  return attach(b, [cond.build(), body.build()]);
}

/**
 * IF as a float island of an int8 graph: int8 inputs -> DEQUANTIZE -> IF (float ADD or MUL, on a
 * bool from an int8 comparison) -> QUANTIZE to an int8 output.
 */
export function ifIslandModel(): Graph {
  const b = new GraphBuilder('if_island');
  const a = b.input({ shape: [1], q: QA });
  const c = b.input({ shape: [1], q: QB });
  const [cond] = b.op('LESS', [a, c], [{ shape: [1], dtype: B }]);
  const qx = b.input({ shape: [2, 3], q: QA });
  const qy = b.input({ shape: [2, 3], q: QB });
  const [x] = b.op('DEQUANTIZE', [qx], [{ shape: [2, 3], dtype: F }]);
  const [y] = b.op('DEQUANTIZE', [qy], [{ shape: [2, 3], dtype: F }]);
  const [f] = b.op('IF', [cond!, x!, y!], [{ shape: [2, 3], dtype: F }], { thenSubgraphIndex: 1, elseSubgraphIndex: 2 });
  b.output(...b.op('QUANTIZE', [f!], [{ shape: [2, 3], q: QO }]));
  return attach(b, [branch('then_add', 'ADD', F), branch('else_mul', 'MUL', F)]);
}
