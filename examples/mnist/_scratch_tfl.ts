import { readFileSync } from 'node:fs';
import { runTfliteInterpreter } from '../../test/helpers/tfjs_tflite.ts';
import { parseTflite } from '../../src/model/tflite/reader.ts';
import { prepareGraph } from '../../src/ops/prepare.ts';
import { interpret } from '../../src/ops/interpreter.ts';
const bytes = new Uint8Array(readFileSync('examples/mnist/mnist_cnn_int8.tflite'));
const digits = readFileSync('examples/mnist/digits.bin');
const g = parseTflite(bytes, 'mnist_cnn_int8.tflite');
const p = prepareGraph(g);
for (let i = 0; i < 8; i++) {
  const input = new Uint8Array(digits.subarray(i * 784, (i + 1) * 784));
  const [a] = await runTfliteInterpreter(bytes, [input]);
  const b = interpret(p, [input]).outputs[0]!;
  console.log(Array.from(new Int8Array(a!.buffer, a!.byteOffset, 10)).join(','), '|', Array.from(new Int8Array(b.buffer, b.byteOffset, 10)).join(','));
}
