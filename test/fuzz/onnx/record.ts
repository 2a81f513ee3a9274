// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run oracle:record:onnx`: writes test/data/onnx/ afresh: one generated model per generator and
 * form (the smallest of a few seeds, to keep the store small), its input and ONNX Runtime's outputs
 * at the level tinyforge matches; and for each op whose ORT kernel is float arithmetic that tinyforge
 * reproduces (the lookup tables of Sigmoid, LeakyRelu, QLinearSigmoid, QLinearLeakyRelu; ConvTranspose)
 * the largest model holding it alone of a few seeds (a table op's input then reaches most of its 256
 * entries). Needs onnxruntime-node (native ONNX Runtime); the tests
 * replay the answers without it.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ORT_LEVEL, onnxRuntimeAvailable } from '../../../src/lab/run/onnxruntime.ts';
import { ONNX_GENERATORS, type OnnxCase, generateOnnxCase } from './generate.ts';
import { ortOutputs, saveCase } from './campaign.ts';
import { RECORDED_DIR } from './recorded.ts';

const SEEDS_TRIED = 4;

/** Ops recorded on their own, with the generator and form that write them. */
const FLOAT_KERNEL_OPS: { op: string; generator: string; form: 'qdq' | 'qop' }[] = [
  { op: 'Sigmoid', generator: 'activation', form: 'qdq' },
  { op: 'LeakyRelu', generator: 'activation', form: 'qdq' },
  { op: 'QLinearSigmoid', generator: 'activation', form: 'qop' },
  { op: 'QLinearLeakyRelu', generator: 'activation', form: 'qop' },
  { op: 'ConvTranspose', generator: 'conv-transpose', form: 'qdq' },
];
const TABLE_SEEDS_TRIED = 24;

if (!(await onnxRuntimeAvailable())) {
  console.error('oracle:record:onnx: onnxruntime-node is not installed (npm install onnxruntime-node): nothing can be recorded without it');
  process.exit(2);
}
for (const f of readdirSync(RECORDED_DIR, { withFileTypes: true })) if (/\.(onnx|json)$/.test(f.name)) rmSync(join(RECORDED_DIR, f.name));
let models = 0;
for (const [g, generator] of ONNX_GENERATORS.entries()) {
  for (const form of generator.forms) {
    let smallest: OnnxCase | undefined;
    for (let k = 0; k < SEEDS_TRIED; k++) {
      const c = await generateOnnxCase(1000 * (g + 1) + 10 * k + (form === 'qop' ? 1 : 0), { only: [generator.name], forms: [form] });
      const size = (x: OnnxCase) => x.model.length + x.inputs.reduce((n, i) => n + i.data.length, 0);
      if (!smallest || size(c) < size(smallest)) smallest = c;
    }
    saveCase(RECORDED_DIR, smallest!, await ortOutputs(smallest!, DEFAULT_ORT_LEVEL), DEFAULT_ORT_LEVEL);
    models++;
  }
}
for (const { op, generator, form } of FLOAT_KERNEL_OPS) {
  const g = ONNX_GENERATORS.findIndex((x) => x.name === generator);
  let largest: OnnxCase | undefined;
  for (let k = 0; k < TABLE_SEEDS_TRIED; k++) {
    const c = await generateOnnxCase(1000 * (g + 1) + 500 + 10 * k + (form === 'qop' ? 1 : 0), { only: [generator], forms: [form] });
    if (c.ops.length === 1 && c.ops[0] === op && (!largest || c.inputs[0]!.data.length > largest.inputs[0]!.data.length)) largest = c;
  }
  if (!largest) throw new Error(`oracle:record:onnx: no model of ${TABLE_SEEDS_TRIED} seeds holds ${op} alone`);
  saveCase(RECORDED_DIR, largest, await ortOutputs(largest, DEFAULT_ORT_LEVEL), DEFAULT_ORT_LEVEL);
  models++;
}
const bytes = readdirSync(RECORDED_DIR).reduce((n, f) => n + statSync(join(RECORDED_DIR, f)).size, 0);
console.log(
  `oracle:record:onnx: ${models} models with ONNX Runtime's answers (level ${DEFAULT_ORT_LEVEL}) in test/data/onnx (${(bytes / 1024).toFixed(0)} KiB)`,
);
