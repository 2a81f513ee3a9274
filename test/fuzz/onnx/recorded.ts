// SPDX-License-Identifier: Apache-2.0
/**
 * ONNX Runtime's recorded answers for a set of generated models (test/data/onnx/, written by
 * `npm run oracle:record:onnx`): per model `<label>.onnx` and `<label>.json` (the case: generator,
 * form, activation type, ops, ORT's optimization level, every input with its bytes and every output
 * with ORT's bytes, base64). Tests compare tinyforge with them on machines without ONNX Runtime.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OnnxTypedArray, OnnxValue, OrtOptimizationLevel } from '../../../src/lab/run/onnxruntime.ts';
import type { ActType } from './emitter.ts';
import type { OnnxCase, OnnxCaseTensor, QuantForm } from './generate.ts';

export const RECORDED_DIR = resolve(import.meta.dirname, '..', '..', 'data', 'onnx');

export interface RecordedCase {
  case: OnnxCase;
  level: OrtOptimizationLevel;
  /** ONNX Runtime's outputs, in the model's order */
  expected: OnnxValue[];
}

interface RecordedJson {
  label: string;
  generator: string;
  form: QuantForm;
  act: ActType;
  seed: number;
  ops: string[];
  level: OrtOptimizationLevel;
  inputs: (OnnxCaseTensor & { data: string })[];
  outputs: (OnnxCaseTensor & { data: string })[];
}

function typed(type: ActType | 'int32', b64: string): OnnxTypedArray {
  const bytes = new Uint8Array(Buffer.from(b64, 'base64'));
  if (type === 'int8') return new Int8Array(bytes.buffer);
  if (type === 'int32') return new Int32Array(bytes.buffer);
  return bytes;
}

export function loadRecordedCases(dir = RECORDED_DIR): RecordedCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const j = JSON.parse(readFileSync(join(dir, f), 'utf8')) as RecordedJson;
      const c: OnnxCase = {
        label: j.label,
        generator: j.generator,
        form: j.form,
        act: j.act,
        seed: j.seed,
        ops: j.ops,
        model: new Uint8Array(readFileSync(join(dir, `${j.label}.onnx`))),
        inputs: j.inputs.map((i) => ({ ...i, data: typed(i.type, i.data) as Uint8Array | Int8Array })),
        outputs: j.outputs.map(({ data: _data, ...o }) => o),
      };
      const expected = j.outputs.map((o) => ({ name: o.name, dtype: o.type, shape: o.shape, data: typed(o.type, o.data) }));
      return { case: c, level: j.level, expected };
    });
}
