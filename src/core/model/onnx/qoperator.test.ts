// SPDX-License-Identifier: Apache-2.0
/**
 * The QOperator -> QDQ rewrite, checked with native ONNX Runtime (onnxruntime-node): each small model runs
 * as written and rewritten; the rewrite must give the same bytes where ORT fuses the QDQ groups back
 * into its QLinear kernels (graphOptimizationLevel 'all'). Each case records at which levels the two
 * agree exactly, so a change in either the rewrite or ORT shows. ONNX's backend tests
 * (libonnx-testdata) check the rewrite against their recorded outputs.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TinyforgeError } from '../../errors.ts';
import { bindInputsAsConstants, qoperatorToQdq, tensorValues } from './qoperator.ts';
import { loadOnnxRuntime } from '../../../lab/run/onnxruntime.ts';
import { ORT_SATURATES_NOTICE, ortSaturatesU8S8 } from '../../../../test/helpers/ort_platform.ts';
import {
  OnnxAttributeType,
  OnnxDataType,
  decodeModelProto,
  decodeTensorProto,
  encodeModelProto,
  type OnnxAttributeProto,
  type OnnxModelProto,
  type OnnxNodeProto,
  type OnnxTensorProto,
} from './schema.ts';

type Ort = typeof import('onnxruntime-web');
type Level = 'all' | 'disabled';
type ElemType = 'uint8' | 'int8' | 'float32' | 'int32';

const ONNX_TYPE: Record<ElemType, number> = {
  uint8: OnnxDataType.UINT8,
  int8: OnnxDataType.INT8,
  float32: OnnxDataType.FLOAT,
  int32: OnnxDataType.INT32,
};
const ORT_TYPE: Record<number, ElemType> = Object.fromEntries(Object.entries(ONNX_TYPE).map(([k, v]) => [v, k as ElemType]));
const BACKEND_TESTS = '/usr/share/libonnx-testdata/data/node';

let ort: Ort | undefined;

// ---- model building ----

const scalar = (name: string, value: number): OnnxTensorProto => ({ name, dataType: OnnxDataType.FLOAT, dims: [], floatData: [value] });
const floats = (name: string, values: number[], dims = [values.length]): OnnxTensorProto => ({ name, dataType: OnnxDataType.FLOAT, dims, floatData: values });
const ints = (name: string, type: ElemType, dims: number[], values: number[]): OnnxTensorProto => ({
  name,
  dataType: ONNX_TYPE[type],
  dims,
  int32Data: values,
});
const zero = (name: string, type: ElemType, value = 0) => ints(name, type, [], [value]);

const intsAttr = (name: string, values: number[]): OnnxAttributeProto => ({ name, type: OnnxAttributeType.INTS, ints: values });
const intAttr = (name: string, i: number): OnnxAttributeProto => ({ name, type: OnnxAttributeType.INT, i });
const floatAttr = (name: string, f: number): OnnxAttributeProto => ({ name, type: OnnxAttributeType.FLOAT, f });

function node(opType: string, input: string[], output: string[], attribute: OnnxAttributeProto[] = [], domain = ''): OnnxNodeProto {
  return { name: output[0], opType, input, output, attribute, domain };
}
const ms = (opType: string, input: string[], output: string[], attribute: OnnxAttributeProto[] = []) => node(opType, input, output, attribute, 'com.microsoft');

/** A deterministic generator (an LCG), so the recorded agreements stay the same run to run. */
function generator(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return (type: ElemType, count: number, low?: number, high?: number) => {
    const lo = low ?? (type === 'int8' ? -128 : 0);
    const hi = high ?? (type === 'int8' ? 127 : 255);
    return Array.from({ length: count }, () => lo + Math.floor(next() * (hi - lo + 1)));
  };
}

interface Input {
  name: string;
  type: ElemType;
  dims: number[];
}

interface Case {
  name: string;
  nodes: OnnxNodeProto[];
  inputs: Input[];
  outputs: { name: string; type: ElemType }[];
  initializers: OnnxTensorProto[];
  /** the optimization levels at which the rewrite's output equals the original's, byte for byte */
  agrees: Level[];
  /** for float outputs that differ in their last bits: the largest difference allowed, relative to the largest output */
  tolerance?: number;
}

function model(c: Pick<Case, 'nodes' | 'inputs' | 'outputs' | 'initializers'>): OnnxModelProto {
  return {
    irVersion: 8,
    opsetImport: [
      { domain: '', version: 13 },
      { domain: 'com.microsoft', version: 1 },
    ],
    producerName: 'tinyforge-test',
    graph: {
      name: 'g',
      node: c.nodes,
      initializer: c.initializers,
      input: c.inputs.map((i) => ({
        name: i.name,
        type: { tensorType: { elemType: ONNX_TYPE[i.type], shape: { dim: i.dims.map((d) => ({ dimValue: d })) } } },
      })),
      output: c.outputs.map((o) => ({ name: o.name, type: { tensorType: { elemType: ONNX_TYPE[o.type] } } })),
    },
  };
}

const count = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

// ---- running ----

function ortTensor(type: ElemType, values: number[], dims: number[]) {
  const data =
    type === 'uint8'
      ? Uint8Array.from(values)
      : type === 'int8'
        ? Int8Array.from(values)
        : type === 'int32'
          ? Int32Array.from(values)
          : Float32Array.from(values);
  return new ort!.Tensor(type, data, dims);
}

async function run(m: OnnxModelProto, feeds: Record<string, unknown>, level: Level): Promise<Record<string, { bytes: Uint8Array; values: number[] }>> {
  const session = await ort!.InferenceSession.create(encodeModelProto(m), { graphOptimizationLevel: level, intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const results = await session.run(feeds as never);
    return Object.fromEntries(
      Object.entries(results).map(([k, t]) => {
        const data = t.data as Uint8Array;
        return [k, { bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(), values: Array.from(data as ArrayLike<number>) }];
      }),
    );
  } finally {
    await session.release();
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

// ---- the cases ----

function cases(): Case[] {
  const rand = generator(42);
  const list: Case[] = [];
  const add = (c: Case) => list.push(c);

  // QLinearConv
  const conv = (
    name: string,
    x: Input,
    w: { type: ElemType; dims: number[] },
    perChannel: boolean,
    bias: boolean,
    attrs: OnnxAttributeProto[],
    yType: ElemType,
    yScale: number,
    agrees: Level[],
  ): Case => {
    const m = w.dims[0]!;
    const wScale = perChannel
      ? floats(
          'w_scale',
          Array.from({ length: m }, (_, i) => 0.004 + 0.002 * i),
        )
      : scalar('w_scale', 0.005);
    const wZero = perChannel ? ints('w_zero_point', w.type, [m], Array(m).fill(0)) : zero('w_zero_point', w.type, w.type === 'uint8' ? 131 : 0);
    const inits = [
      scalar('x_scale', 0.03),
      zero('x_zero_point', x.type, x.type === 'uint8' ? 120 : -3),
      ints('w', w.type, w.dims, rand(w.type, count(w.dims))),
      wScale,
      wZero,
      scalar('y_scale', yScale),
      zero('y_zero_point', yType, yType === 'uint8' ? 128 : 5),
    ];
    const inputs = ['x', 'x_scale', 'x_zero_point', 'w', 'w_scale', 'w_zero_point', 'y_scale', 'y_zero_point'];
    if (bias) {
      inits.push(ints('bias', 'int32', [m], rand('int32', m, -3000, 3000)));
      inputs.push('bias');
    }
    return { name, nodes: [node('QLinearConv', inputs, ['y'], attrs)], inputs: [x], outputs: [{ name: 'y', type: yType }], initializers: inits, agrees };
  };
  add(
    conv(
      'QLinearConv uint8 per-tensor 3x3 pad 1, bias',
      { name: 'x', type: 'uint8', dims: [1, 3, 6, 6] },
      { type: 'uint8', dims: [4, 3, 3, 3] },
      false,
      true,
      [intsAttr('pads', [1, 1, 1, 1])],
      'uint8',
      0.25,
      ['all', 'disabled'],
    ),
  );
  add(
    conv(
      'QLinearConv int8 per-channel stride 2, bias',
      { name: 'x', type: 'int8', dims: [1, 4, 7, 7] },
      { type: 'int8', dims: [6, 4, 3, 3] },
      true,
      true,
      [intsAttr('strides', [2, 2])],
      'int8',
      0.3,
      ['all', 'disabled'],
    ),
  );
  add(
    conv(
      'QLinearConv int8 depthwise per-channel',
      { name: 'x', type: 'int8', dims: [1, 4, 5, 5] },
      { type: 'int8', dims: [4, 1, 3, 3] },
      true,
      true,
      [intAttr('group', 4), intsAttr('pads', [1, 1, 1, 1])],
      'int8',
      0.1,
      ['all', 'disabled'],
    ),
  );
  add(
    conv(
      'QLinearConv uint8 x, int8 w per-channel 1x1, no bias',
      { name: 'x', type: 'uint8', dims: [1, 8, 4, 4] },
      { type: 'int8', dims: [5, 8, 1, 1] },
      true,
      false,
      [],
      'uint8',
      0.2,
      ['all', 'disabled'],
    ),
  );

  add(
    conv(
      'QLinearConv uint8 per-tensor, 2304 outputs',
      { name: 'x', type: 'uint8', dims: [1, 16, 12, 12] },
      { type: 'uint8', dims: [16, 16, 3, 3] },
      false,
      true,
      [intsAttr('pads', [1, 1, 1, 1])],
      'uint8',
      0.5,
      ['all', 'disabled'],
    ),
  );
  add(
    conv(
      'QLinearConv int8 per-channel, 2304 outputs',
      { name: 'x', type: 'int8', dims: [1, 16, 12, 12] },
      { type: 'int8', dims: [16, 16, 3, 3] },
      true,
      true,
      [intsAttr('pads', [1, 1, 1, 1])],
      'int8',
      0.5,
      ['all', 'disabled'],
    ),
  );

  // QLinearMatMul
  const matmul = (name: string, a: Input, b: { type: ElemType; dims: number[]; constant: boolean }, perColumn: boolean, agrees: Level[]): Case => {
    const n = b.dims[b.dims.length - 1]!;
    const inits = [
      scalar('a_scale', 0.02),
      zero('a_zero_point', a.type, a.type === 'uint8' ? 125 : 2),
      perColumn
        ? floats(
            'b_scale',
            Array.from({ length: n }, (_, i) => 0.01 + 0.003 * i),
          )
        : scalar('b_scale', 0.015),
      perColumn ? ints('b_zero_point', b.type, [n], Array(n).fill(0)) : zero('b_zero_point', b.type, b.type === 'uint8' ? 127 : 0),
      scalar('y_scale', 0.2),
      zero('y_zero_point', a.type, a.type === 'uint8' ? 130 : -1),
    ];
    const inputs = [a];
    if (b.constant) inits.push(ints('b', b.type, b.dims, rand(b.type, count(b.dims))));
    else inputs.push({ name: 'b', type: b.type, dims: b.dims });
    return {
      name,
      nodes: [node('QLinearMatMul', ['a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point', 'y_scale', 'y_zero_point'], ['y'])],
      inputs,
      outputs: [{ name: 'y', type: a.type }],
      initializers: inits,
      agrees,
    };
  };
  add(
    matmul('QLinearMatMul uint8 2-D per-tensor', { name: 'a', type: 'uint8', dims: [3, 8] }, { type: 'uint8', dims: [8, 5], constant: true }, false, [
      'all',
      'disabled',
    ]),
  );
  add(
    matmul('QLinearMatMul int8 3-D per-tensor', { name: 'a', type: 'int8', dims: [2, 3, 8] }, { type: 'int8', dims: [8, 4], constant: true }, false, [
      'all',
      'disabled',
    ]),
  );
  add(
    matmul('QLinearMatMul int8 per-column b', { name: 'a', type: 'int8', dims: [4, 6] }, { type: 'int8', dims: [6, 4], constant: true }, true, [
      'all',
      'disabled',
    ]),
  );
  // the small cases agree at both levels: float32 rounding moves a value across a rounding boundary
  // rarely. These larger ones show the difference: native ONNX Runtime fuses uint8 activations back
  // into QLinearMatMul at 'all' (equal to the original) but leaves the int8 (s8s8) group in float,
  // one value in 16384 off; unfused ('disabled'), the uint8 one is 2 values off (the wasm build of
  // 1.30 agreed with the original there too)
  add(
    matmul('QLinearMatMul int8, 16384 outputs', { name: 'a', type: 'int8', dims: [128, 512] }, { type: 'int8', dims: [512, 128], constant: true }, false, []),
  );
  add(
    matmul('QLinearMatMul uint8, 16384 outputs', { name: 'a', type: 'uint8', dims: [128, 512] }, { type: 'uint8', dims: [512, 128], constant: true }, false, [
      'all',
    ]),
  );
  add(
    matmul(
      'QLinearMatMul uint8 a, int8 b, 16384 outputs',
      { name: 'a', type: 'uint8', dims: [128, 512] },
      { type: 'int8', dims: [512, 128], constant: true },
      false,
      ['all'],
    ),
  );
  add(
    matmul('QLinearMatMul uint8 two run-time operands', { name: 'a', type: 'uint8', dims: [4, 6] }, { type: 'uint8', dims: [6, 3], constant: false }, false, [
      'all',
      'disabled',
    ]),
  );

  // QLinearAdd, QLinearMul
  for (const op of ['QLinearAdd', 'QLinearMul']) {
    const cScale = op === 'QLinearAdd' ? 0.05 : 0.1;
    add({
      name: `${op} uint8 same shape`,
      nodes: [ms(op, ['a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point', 'c_scale', 'c_zero_point'], ['c'])],
      inputs: [
        { name: 'a', type: 'uint8', dims: [1, 3, 4, 4] },
        { name: 'b', type: 'uint8', dims: [1, 3, 4, 4] },
      ],
      outputs: [{ name: 'c', type: 'uint8' }],
      initializers: [
        scalar('a_scale', 0.02),
        zero('a_zero_point', 'uint8', 128),
        scalar('b_scale', 0.03),
        zero('b_zero_point', 'uint8', 100),
        scalar('c_scale', cScale),
        zero('c_zero_point', 'uint8', 120),
      ],
      agrees: ['all', 'disabled'],
    });
    add({
      name: `${op} int8 broadcast constant`,
      nodes: [ms(op, ['a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point', 'c_scale', 'c_zero_point'], ['c'])],
      inputs: [{ name: 'a', type: 'int8', dims: [1, 4, 3, 3] }],
      outputs: [{ name: 'c', type: 'int8' }],
      initializers: [
        scalar('a_scale', 0.025),
        zero('a_zero_point', 'int8', -5),
        ints('b', 'int8', [1, 4, 1, 1], rand('int8', 4)),
        scalar('b_scale', 0.015),
        zero('b_zero_point', 'int8', 3),
        scalar('c_scale', cScale),
        zero('c_zero_point', 'int8', 0),
      ],
      agrees: ['all', 'disabled'],
    });
  }

  add({
    name: 'QLinearAdd int8, 8192 outputs',
    nodes: [ms('QLinearAdd', ['a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point', 'c_scale', 'c_zero_point'], ['c'])],
    inputs: [
      { name: 'a', type: 'int8', dims: [1, 32, 16, 16] },
      { name: 'b', type: 'int8', dims: [1, 32, 16, 16] },
    ],
    outputs: [{ name: 'c', type: 'int8' }],
    initializers: [
      scalar('a_scale', 0.0213),
      zero('a_zero_point', 'int8', 3),
      scalar('b_scale', 0.0371),
      zero('b_zero_point', 'int8', -7),
      scalar('c_scale', 0.0517),
      zero('c_zero_point', 'int8', 1),
    ],
    agrees: ['all', 'disabled'],
  });

  add({
    name: 'QLinearMul uint8 scales and zero points from Constant nodes',
    nodes: [
      node('Constant', [], ['a_scale'], [floatAttr('value_float', 0.02)]),
      node('Constant', [], ['b_scale'], [{ name: 'value', type: OnnxAttributeType.TENSOR, t: scalar('', 0.03) }]),
      node('Constant', [], ['c_scale'], [{ name: 'value', type: OnnxAttributeType.TENSOR, t: scalar('', 0.1) }]),
      node('Constant', [], ['c_zero_point'], [{ name: 'value', type: OnnxAttributeType.TENSOR, t: zero('', 'uint8', 120) }]),
      ms('QLinearMul', ['a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point', 'c_scale', 'c_zero_point'], ['c']),
    ],
    inputs: [
      { name: 'a', type: 'uint8', dims: [3, 7] },
      { name: 'b', type: 'uint8', dims: [3, 7] },
    ],
    outputs: [{ name: 'c', type: 'uint8' }],
    initializers: [zero('a_zero_point', 'uint8', 128), zero('b_zero_point', 'uint8', 100)],
    agrees: ['all', 'disabled'],
  });

  // the unary com.microsoft ops: X, X_scale, X_zero_point, Y_scale, Y_zero_point
  const unary = (name: string, op: string, x: Input, attrs: OnnxAttributeProto[], xScale: number, yScale: number, agrees: Level[]): Case => ({
    name,
    nodes: [ms(op, ['x', 'x_scale', 'x_zero_point', 'y_scale', 'y_zero_point'], ['y'], attrs)],
    inputs: [x],
    outputs: [{ name: 'y', type: x.type }],
    initializers: [
      scalar('x_scale', xScale),
      zero('x_zero_point', x.type, x.type === 'uint8' ? 128 : 1),
      scalar('y_scale', yScale),
      zero('y_zero_point', x.type, x.type === 'uint8' ? 110 : -4),
    ],
    agrees,
  });
  add(
    unary(
      'QLinearAveragePool uint8 2x2 stride 2',
      'QLinearAveragePool',
      { name: 'x', type: 'uint8', dims: [1, 3, 6, 6] },
      [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])],
      0.02,
      0.015,
      ['all', 'disabled'],
    ),
  );
  add(
    unary(
      'QLinearAveragePool int8 3x3 pad 1 counting the pads',
      'QLinearAveragePool',
      { name: 'x', type: 'int8', dims: [1, 4, 5, 5] },
      [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1]), intAttr('count_include_pad', 1)],
      0.02,
      0.02,
      ['all', 'disabled'],
    ),
  );
  add(
    unary(
      'QLinearAveragePool int8 channels last',
      'QLinearAveragePool',
      { name: 'x', type: 'int8', dims: [1, 5, 5, 4] },
      [intsAttr('kernel_shape', [3, 3]), intsAttr('strides', [2, 2]), intAttr('channels_last', 1)],
      0.02,
      0.02,
      ['all', 'disabled'],
    ),
  );
  add(
    unary(
      'QLinearAveragePool uint8 3x3, 4096 outputs',
      'QLinearAveragePool',
      { name: 'x', type: 'uint8', dims: [1, 16, 16, 16] },
      [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1])],
      0.0213,
      0.0177,
      ['all', 'disabled'],
    ),
  );
  add(
    unary('QLinearGlobalAveragePool uint8, 256 outputs', 'QLinearGlobalAveragePool', { name: 'x', type: 'uint8', dims: [1, 256, 7, 7] }, [], 0.0213, 0.0177, [
      'all',
      'disabled',
    ]),
  );
  add(
    unary('QLinearGlobalAveragePool uint8', 'QLinearGlobalAveragePool', { name: 'x', type: 'uint8', dims: [1, 4, 5, 5] }, [], 0.05, 0.01, ['all', 'disabled']),
  );
  add(unary('QLinearGlobalAveragePool int8', 'QLinearGlobalAveragePool', { name: 'x', type: 'int8', dims: [1, 8, 3, 3] }, [], 0.05, 0.02, ['all', 'disabled']));
  add(
    unary(
      'QLinearGlobalAveragePool int8 channels last',
      'QLinearGlobalAveragePool',
      { name: 'x', type: 'int8', dims: [1, 3, 3, 8] },
      [intAttr('channels_last', 1)],
      0.05,
      0.02,
      ['all', 'disabled'],
    ),
  );
  add(unary('QLinearSigmoid uint8', 'QLinearSigmoid', { name: 'x', type: 'uint8', dims: [1, 256] }, [], 0.05, 1 / 256, ['all', 'disabled']));
  add(unary('QLinearSigmoid int8', 'QLinearSigmoid', { name: 'x', type: 'int8', dims: [2, 4, 32] }, [], 0.04, 1 / 256, ['all', 'disabled']));
  add(
    unary('QLinearLeakyRelu uint8 alpha 0.1', 'QLinearLeakyRelu', { name: 'x', type: 'uint8', dims: [1, 256] }, [floatAttr('alpha', 0.1)], 0.05, 0.04, [
      'all',
      'disabled',
    ]),
  );
  add(unary('QLinearLeakyRelu int8 default alpha', 'QLinearLeakyRelu', { name: 'x', type: 'int8', dims: [2, 4, 32] }, [], 0.04, 0.03, ['all', 'disabled']));

  // QLinearConcat: Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per input
  add({
    name: 'QLinearConcat uint8 two inputs, axis 1',
    nodes: [ms('QLinearConcat', ['y_scale', 'y_zero_point', 'a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point'], ['y'], [intAttr('axis', 1)])],
    inputs: [
      { name: 'a', type: 'uint8', dims: [1, 2, 3, 3] },
      { name: 'b', type: 'uint8', dims: [1, 3, 3, 3] },
    ],
    outputs: [{ name: 'y', type: 'uint8' }],
    initializers: [
      scalar('y_scale', 0.03),
      zero('y_zero_point', 'uint8', 128),
      scalar('a_scale', 0.02),
      zero('a_zero_point', 'uint8', 120),
      scalar('b_scale', 0.04),
      zero('b_zero_point', 'uint8', 140),
    ],
    agrees: ['all', 'disabled'],
  });
  add({
    name: 'QLinearConcat int8 three inputs, one constant, axis -1',
    nodes: [
      ms(
        'QLinearConcat',
        ['y_scale', 'y_zero_point', 'a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point', 'c', 'c_scale', 'c_zero_point'],
        ['y'],
        [intAttr('axis', -1)],
      ),
    ],
    inputs: [
      { name: 'a', type: 'int8', dims: [2, 3, 4] },
      { name: 'b', type: 'int8', dims: [2, 3, 2] },
    ],
    outputs: [{ name: 'y', type: 'int8' }],
    initializers: [
      scalar('y_scale', 0.05),
      zero('y_zero_point', 'int8', 0),
      scalar('a_scale', 0.05),
      zero('a_zero_point', 'int8', 0),
      scalar('b_scale', 0.02),
      zero('b_zero_point', 'int8', -10),
      ints('c', 'int8', [2, 3, 3], rand('int8', 18)),
      scalar('c_scale', 0.07),
      zero('c_zero_point', 'int8', 4),
    ],
    agrees: ['all', 'disabled'],
  });

  // ConvInteger, MatMulInteger: int32 outputs, or float after Cast and Mul by a constant scale
  add({
    name: 'ConvInteger uint8 with zero points, pad 1',
    nodes: [node('ConvInteger', ['x', 'w', 'x_zero_point', 'w_zero_point'], ['y'], [intsAttr('pads', [1, 1, 1, 1])])],
    inputs: [{ name: 'x', type: 'uint8', dims: [1, 3, 5, 5] }],
    outputs: [{ name: 'y', type: 'int32' }],
    initializers: [ints('w', 'uint8', [4, 3, 3, 3], rand('uint8', 108)), zero('x_zero_point', 'uint8', 128), zero('w_zero_point', 'uint8', 120)],
    agrees: ['all', 'disabled'],
  });
  add({
    name: 'ConvInteger uint8 zero points omitted, stride 2',
    nodes: [node('ConvInteger', ['x', 'w'], ['y'], [intsAttr('strides', [2, 2])])],
    inputs: [{ name: 'x', type: 'uint8', dims: [1, 2, 6, 6] }],
    outputs: [{ name: 'y', type: 'int32' }],
    initializers: [ints('w', 'uint8', [3, 2, 3, 3], rand('uint8', 54))],
    agrees: ['all', 'disabled'],
  });
  add({
    name: 'ConvInteger uint8 then Cast and Mul by a scale',
    nodes: [
      node('ConvInteger', ['x', 'w', 'x_zero_point', 'w_zero_point'], ['acc']),
      node('Cast', ['acc'], ['acc_float'], [intAttr('to', OnnxDataType.FLOAT)]),
      node('Mul', ['acc_float', 'scale'], ['y']),
    ],
    inputs: [{ name: 'x', type: 'uint8', dims: [1, 3, 4, 4] }],
    outputs: [{ name: 'y', type: 'float32' }],
    initializers: [
      ints('w', 'uint8', [2, 3, 3, 3], rand('uint8', 54)),
      zero('x_zero_point', 'uint8', 128),
      zero('w_zero_point', 'uint8', 127),
      scalar('scale', 0.0001),
    ],
    // float(acc) * scale against sums of scaled products: the last bits differ at either level
    agrees: [],
    tolerance: 1e-6,
  });
  add({
    name: 'MatMulInteger uint8 with zero points',
    nodes: [node('MatMulInteger', ['a', 'b', 'a_zero_point', 'b_zero_point'], ['y'])],
    inputs: [{ name: 'a', type: 'uint8', dims: [3, 8] }],
    outputs: [{ name: 'y', type: 'int32' }],
    initializers: [ints('b', 'uint8', [8, 5], rand('uint8', 40)), zero('a_zero_point', 'uint8', 128), zero('b_zero_point', 'uint8', 100)],
    agrees: ['all', 'disabled'],
  });
  add({
    name: 'MatMulInteger int8 per-column zero points, 3-D',
    nodes: [node('MatMulInteger', ['a', 'b', 'a_zero_point', 'b_zero_point'], ['y'])],
    inputs: [{ name: 'a', type: 'uint8', dims: [2, 3, 6] }],
    outputs: [{ name: 'y', type: 'int32' }],
    initializers: [ints('b', 'int8', [6, 4], rand('int8', 24)), zero('a_zero_point', 'uint8', 120), ints('b_zero_point', 'int8', [4], [0, 1, -2, 3])],
    agrees: ['all', 'disabled'],
  });
  add({
    name: 'ConvInteger then Cast and Mul by a per-channel scale of shape [1, M, 1, 1]',
    nodes: [
      node('ConvInteger', ['x', 'w', 'x_zero_point', 'w_zero_point'], ['acc'], [intsAttr('pads', [1, 1, 1, 1])]),
      node('Cast', ['acc'], ['acc_float'], [intAttr('to', OnnxDataType.FLOAT)]),
      node('Mul', ['scale', 'acc_float'], ['y']),
    ],
    inputs: [{ name: 'x', type: 'uint8', dims: [1, 3, 5, 5] }],
    outputs: [{ name: 'y', type: 'float32' }],
    initializers: [
      ints('w', 'uint8', [4, 3, 3, 3], rand('uint8', 108)),
      zero('x_zero_point', 'uint8', 128),
      zero('w_zero_point', 'uint8', 127),
      floats('scale', [0.0001, 0.0002, 0.00015, 0.00007], [1, 4, 1, 1]),
    ],
    agrees: [],
    tolerance: 1e-6,
  });
  add({
    name: 'MatMulInteger then Cast and Mul by a_scale * per-column b_scale',
    nodes: [
      node('Mul', ['a_scale', 'b_scale'], ['scale']),
      node('MatMulInteger', ['a', 'b', 'a_zero_point'], ['acc']),
      node('Cast', ['acc'], ['acc_float'], [intAttr('to', OnnxDataType.FLOAT)]),
      node('Mul', ['acc_float', 'scale'], ['y']),
    ],
    inputs: [{ name: 'a', type: 'uint8', dims: [5, 8] }],
    outputs: [{ name: 'y', type: 'float32' }],
    initializers: [
      ints('b', 'int8', [8, 3], rand('int8', 24)),
      scalar('a_scale', 0.02),
      zero('a_zero_point', 'uint8', 128),
      floats('b_scale', [0.01, 0.03, 0.005]),
    ],
    agrees: ['all'],
  });
  add({
    name: 'MatMulInteger after a static DynamicQuantizeLinear, then Cast and Mul',
    nodes: [
      node('DynamicQuantizeLinear', ['w_float'], ['w', 'w_scale', 'w_zero_point']),
      node('Mul', ['a_scale', 'w_scale'], ['scale']),
      node('MatMulInteger', ['a', 'w', 'a_zero_point', 'w_zero_point'], ['acc']),
      node('Cast', ['acc'], ['acc_float'], [intAttr('to', OnnxDataType.FLOAT)]),
      node('Mul', ['acc_float', 'scale'], ['y']),
    ],
    inputs: [{ name: 'a', type: 'uint8', dims: [4, 6] }],
    outputs: [{ name: 'y', type: 'float32' }],
    initializers: [
      floats(
        'w_float',
        rand('int32', 18, -1000, 1000).map((v) => v / 997),
        [6, 3],
      ),
      scalar('a_scale', 0.02),
      zero('a_zero_point', 'uint8', 128),
    ],
    agrees: ['all'],
  });
  return list;
}

// ---- the tests ----

describe('ONNX QOperator models rewritten into QDQ form', function () {
  before(async () => {
    try {
      ort = await loadOnnxRuntime('node');
      // one session of a single Identity proves it runs
      const identity = model({
        nodes: [node('Identity', ['x'], ['y'])],
        inputs: [{ name: 'x', type: 'uint8', dims: [1] }],
        outputs: [{ name: 'y', type: 'uint8' }],
        initializers: [],
      });
      await run(identity, { x: ortTensor('uint8', [1], [1]) }, 'disabled');
    } catch (e) {
      ort = undefined;
      console.log(`    (ONNX Runtime checks skipped: onnxruntime-node does not load: ${(e as Error).message.split('\n')[0]})`);
    }
  });

  for (const c of cases()) {
    it(`${c.name}: agrees with the original at ${c.agrees.join(', ') || 'no level'}`, async function () {
      if (!ort) this.skip();
      const original = model(c);
      const rewritten = { ...original, graph: qoperatorToQdq(original.graph!, 'test.onnx') };
      const ops = new Set(rewritten.graph.node!.map((n) => n.opType));
      expect([...ops].filter((op) => /^QLinear|Integer$|^DynamicQuantizeLinear$/.test(op!))).to.deep.equal([]);
      const rand = generator(7);
      const feeds = Object.fromEntries(c.inputs.map((i) => [i.name, ortTensor(i.type, rand(i.type, count(i.dims)), i.dims)]));
      const reference = await run(original, feeds, 'all');
      const agrees: Level[] = [];
      const report: string[] = [];
      for (const level of ['all', 'disabled'] as Level[]) {
        const got = await run(rewritten, feeds, level);
        const differing = c.outputs.flatMap((o) => got[o.name]!.values.filter((v, i) => v !== reference[o.name]!.values[i]).length);
        if (c.outputs.every((o) => sameBytes(got[o.name]!.bytes, reference[o.name]!.bytes))) agrees.push(level);
        report.push(`${level}: ${differing.join('+')} values differ`);
      }
      // the outputs are not flat: a case whose output saturates checks little
      const values = reference[c.outputs[0]!.name]!.values;
      expect(new Set(values).size, `distinct output values of ${values.slice(0, 16).join(',')}...`).to.be.greaterThan(2);
      // where this CPU's ONNX Runtime saturates u8 x s8 pairs, its integer ops (the original's) are not exact
      if (agrees.join() !== c.agrees.join() && (await ortSaturatesU8S8(ort))) return void console.log(ORT_SATURATES_NOTICE);
      expect(agrees, report.join('; ')).to.deep.equal(c.agrees);
      if (c.tolerance !== undefined) {
        const got = await run(rewritten, feeds, 'all');
        for (const o of c.outputs) {
          const ref = reference[o.name]!.values;
          const largest = Math.max(...ref.map(Math.abs));
          const worst = Math.max(...got[o.name]!.values.map((v, i) => Math.abs(v - ref[i]!)));
          expect(worst, o.name).to.be.at.most(c.tolerance * largest);
        }
      }
    });
  }

  it('keeps the output names and gives every new tensor and node a unique, repeatable name', () => {
    for (const c of cases()) {
      const original = model(c);
      const once = qoperatorToQdq(original.graph!, 'test.onnx');
      expect(once).to.deep.equal(qoperatorToQdq(model(c).graph!, 'test.onnx'));
      const outputs = once.node!.flatMap((n) => n.output ?? []);
      const names = once.node!.map((n) => n.name);
      expect(new Set(outputs).size, c.name).to.equal(outputs.length);
      expect(new Set(names).size, c.name).to.equal(names.length);
      const initializers = once.initializer!.map((t) => t.name);
      expect(new Set(initializers).size, c.name).to.equal(initializers.length);
      for (const o of c.outputs) expect(outputs.includes(o.name) || initializers.includes(o.name), `${c.name}: ${o.name}`).to.equal(true);
    }
  });

  it('folds the Cast and Mul after ConvInteger and MatMulInteger into the dequantizations', () => {
    const ops = (name: string) => {
      const c = cases().find((k) => k.name === name)!;
      return qoperatorToQdq(model(c).graph!, 'm.onnx').node!.map((n) => `${n.opType}(${n.input!.join(',')})->${n.output!.join(',')}`);
    };
    expect(ops('ConvInteger then Cast and Mul by a per-channel scale of shape [1, M, 1, 1]')).to.deep.equal([
      'DequantizeLinear(x,acc_unit_scale,x_zero_point)->x_dequantized',
      'DequantizeLinear(w,scale_per_channel,w_zero_point_widened)->w_dequantized',
      'Conv(x_dequantized,w_dequantized)->y',
    ]);
    expect(ops('MatMulInteger after a static DynamicQuantizeLinear, then Cast and Mul')).to.deep.equal([
      'DequantizeLinear(a,a_scale,a_zero_point)->a_dequantized',
      'DequantizeLinear(w,w_scale,w_zero_point)->w_dequantized',
      'MatMul(a_dequantized,w_dequantized)->y',
    ]);
    // the float weights only the folded DynamicQuantizeLinear read go with it
    const c = cases().find((k) => k.name === 'MatMulInteger after a static DynamicQuantizeLinear, then Cast and Mul')!;
    const initializers = qoperatorToQdq(model(c).graph!, 'm.onnx').initializer!.map((t) => t.name);
    expect(initializers.sort()).to.deep.equal(['a_scale', 'a_zero_point', 'w', 'w_scale', 'w_zero_point']);
  });

  it('refuses a scale that is a graph input, naming the node and input and how to bind it', () => {
    const c = cases()[0]!;
    const m = model({
      ...c,
      initializers: c.initializers.filter((t) => t.name !== 'x_scale'),
      inputs: [...c.inputs, { name: 'x_scale', type: 'float32', dims: [] }],
    });
    expect(() => qoperatorToQdq(m.graph!, 'm.onnx'))
      .to.throw(TinyforgeError)
      .with.property('message')
      .that.matches(/^m\.onnx: node 0 'y' \(QLinearConv\): x_scale 'x_scale' is a graph input; [^\n]*\(--bind x_scale=FILE\)$/);
  });

  it('refuses a DynamicQuantizeLinear of a run-time tensor in one line', () => {
    const m = model({
      nodes: [node('DynamicQuantizeLinear', ['x'], ['q', 'q_scale', 'q_zero_point'])],
      inputs: [{ name: 'x', type: 'float32', dims: [4] }],
      outputs: [{ name: 'q', type: 'uint8' }],
      initializers: [],
    });
    expect(() => qoperatorToQdq(m.graph!, 'm.onnx'))
      .to.throw(TinyforgeError)
      .with.property('message')
      .that.matches(/^m\.onnx: node 0 'q' \(DynamicQuantizeLinear\): its input 'x' is computed at run time[^\n]*$/);
  });

  it('gives an omitted output zero point the type of the input (ONNX Runtime loads no such model to compare)', () => {
    for (const type of ['int8', 'uint8'] as ElemType[]) {
      const m = model({
        nodes: [ms('QLinearAdd', ['a', 'a_scale', '', 'b', 'b_scale', '', 'c_scale'], ['c'])],
        inputs: [
          { name: 'a', type, dims: [2, 5] },
          { name: 'b', type, dims: [2, 5] },
        ],
        outputs: [{ name: 'c', type }],
        initializers: [scalar('a_scale', 0.02), scalar('b_scale', 0.04), scalar('c_scale', 0.05)],
      });
      const graph = qoperatorToQdq(m.graph!, 'm.onnx');
      expect(graph.node!.map((n) => `${n.name}:${n.opType}(${n.input!.join(',')})`)).to.deep.equal([
        'c_dequantize_a:DequantizeLinear(a,a_scale)',
        'c_dequantize_b:DequantizeLinear(b,b_scale)',
        'c:Add(a_dequantized,b_dequantized)',
        'c_quantize:QuantizeLinear(c_float,c_scale,c_output_zero_point)',
      ]);
      const zeroPoint = graph.initializer!.find((t) => t.name === 'c_output_zero_point')!;
      expect([zeroPoint.dataType, tensorValues(zeroPoint)]).to.deep.equal([ONNX_TYPE[type], [0]]);
    }
  });

  it('refuses an omitted output zero point when int8 and uint8 cannot be told apart', () => {
    const m = model({
      nodes: [ms('QLinearSigmoid', ['x', 'x_scale', '', 'y_scale'], ['y'])],
      inputs: [],
      outputs: [{ name: 'y', type: 'int8' }],
      initializers: [scalar('x_scale', 0.1), scalar('y_scale', 0.1)],
    });
    expect(() => qoperatorToQdq(m.graph!, 'm.onnx')).to.throw(TinyforgeError, /int8 and uint8 cannot be told apart/);
  });

  describe("ONNX's backend tests, their scales and zero points bound as constants", () => {
    const tests = [
      'test_qlinearconv',
      'test_qlinearmatmul_2D',
      'test_qlinearmatmul_3D',
      'test_convinteger_with_padding',
      'test_convinteger_without_padding',
      'test_basic_convinteger',
      'test_matmulinteger',
    ];
    for (const test of tests) {
      it(`${test}: the rewrite gives output_0.pb`, async function () {
        const dir = join(BACKEND_TESTS, test);
        if (!existsSync(dir)) {
          console.log(`    (skipped: ${dir} is absent; apt install libonnx-testdata)`);
          this.skip();
        }
        if (!ort) this.skip();
        const original = decodeModelProto(readFileSync(join(dir, 'model.onnx')));
        const data = join(dir, 'test_data_set_0');
        const tensors = original.graph!.input!.map((_, i) => decodeTensorProto(readFileSync(join(data, `input_${i}.pb`))));
        const bindings: Record<string, OnnxTensorProto> = {};
        const feeds: Record<string, unknown> = {};
        original.graph!.input!.forEach((input, i) => {
          const t = tensors[i]!;
          if (/scale|zero_point/.test(input.name!)) bindings[input.name!] = t;
          else feeds[input.name!] = ortTensor(ORT_TYPE[t.dataType!]!, tensorValues(t), t.dims ?? []);
        });
        const bound = bindInputsAsConstants(original, bindings);
        // per-tensor throughout, so the rewrite is valid at the tests' opset 10 (per-axis needs 13)
        const rewritten: OnnxModelProto = { ...bound, graph: qoperatorToQdq(bound.graph!, `${test}/model.onnx`) };
        const expected = decodeTensorProto(readFileSync(join(data, 'output_0.pb')));
        for (const level of ['all', 'disabled'] as Level[]) {
          const got = await run(rewritten, feeds, level);
          expect(Object.values(got)[0]!.values, level).to.deep.equal(tensorValues(expected));
        }
      });
    }

    for (const test of ['test_dynamicquantizelinear', 'test_dynamicquantizelinear_max_adjusted', 'test_dynamicquantizelinear_min_adjusted']) {
      it(`${test}: a constant input folds into output_0..2.pb`, function () {
        const dir = join(BACKEND_TESTS, test);
        if (!existsSync(dir)) this.skip();
        const original = decodeModelProto(readFileSync(join(dir, 'model.onnx')));
        const data = join(dir, 'test_data_set_0');
        const x = original.graph!.input![0]!.name!;
        const bound = bindInputsAsConstants(original, { [x]: decodeTensorProto(readFileSync(join(data, 'input_0.pb'))) });
        const graph = qoperatorToQdq(bound.graph!, 'model.onnx');
        expect(graph.node).to.deep.equal([]);
        original.graph!.output!.forEach((output, i) => {
          const folded = graph.initializer!.find((t) => t.name === output.name)!;
          const expected = decodeTensorProto(readFileSync(join(data, `output_${i}.pb`)));
          expect(folded.dataType, output.name).to.equal(expected.dataType);
          expect(tensorValues(folded), output.name).to.deep.equal(tensorValues(expected));
        });
      });
    }
  });
});
