import * as tf from '@tensorflow/tfjs';
import { quantizeLayersModel, quantizeInput, dequantizeOutput } from '../../src/compress/ptq.ts';
import { registerFastTrainingKernels } from '../../src/compress/tfjs_kernels.ts';
import { layersModelToFloatGraph } from '../../src/compress/from_layers.ts';
import { runFloatGraph } from '../../src/compress/float_executor.ts';
import { prepareGraph } from '../../src/ops/prepare.ts';
import { interpret } from '../../src/ops/interpreter.ts';
import { dequantizeTensorValues } from '../../src/compress/quant_params.ts';
import { loadDigits, imagesTensor, labelsTensor } from './dataset.ts';
import { buildModel, trainModel } from './model.ts';
await tf.setBackend('cpu'); registerFastTrainingKernels();
const { train, test } = loadDigits(100, 20, 7);
const m = buildModel(7);
const t0 = Date.now();
await trainModel(m, imagesTensor(train), labelsTensor(train), 3);
console.log('train s', (Date.now() - t0) / 1000);
const x = imagesTensor(test);
const g = quantizeLayersModel(m, tf.slice(x, 0, 100));
const fg = layersModelToFloatGraph(m);
const p = prepareGraph(g);
const logitsIdx = g.tensors.find(t => t.name === 'logits/logits')!.index;
const sz = g.tensors[logitsIdx]!.quant!.scale[0]!;
let maxP = 0, maxZ = 0, agree = 0, sumP = 0;
const t1 = Date.now();
for (let i = 0; i < test.length; i++) {
  const fl = new Map<number, Float32Array>();
  tf.tidy(() => { runFloatGraph(fg, [tf.slice(x, i, 1)], (idx, v) => fl.set(idx, v.dataSync() as Float32Array)); });
  const run = interpret(p, [quantizeInput(g, test[i]!.pixels)]);
  const out = dequantizeOutput(g, run.outputs[0]!);
  const z = dequantizeTensorValues(run.tensors.get(logitsIdx)! as Int8Array, g.tensors[logitsIdx]!.quant!);
  const pf = fl.get(g.outputs[0]!)!; const zf = fl.get(logitsIdx)!;
  let am = 0, bm = 0;
  for (let k = 0; k < 10; k++) { maxP = Math.max(maxP, Math.abs(out[k]! - pf[k]!)); sumP += Math.abs(out[k]! - pf[k]!); maxZ = Math.max(maxZ, Math.abs(z[k]! - zf[k]!)); if (out[k]! > out[am]!) am = k; if (pf[k]! > pf[bm]!) bm = k; }
  if (am === bm) agree++;
}
console.log('interp s', (Date.now() - t1) / 1000, 'maxP', maxP, 'meanP', sumP / test.length / 10, 'maxZ', maxZ, 'sz', sz, 'maxZ/sz', maxZ / sz, 'agree', agree / test.length);
