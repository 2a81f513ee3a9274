// SPDX-License-Identifier: Apache-2.0
/**
 * One line per target from what `tinyforge run --json` and `tinyforge validate --reference
 * onnxruntime --json` wrote into DIR (run.sh lays it out: `<target>.run.json`, and
 * `<target>.validate.<k>.json` per sample input): the time and memory of an inference, and how the
 * model's quantized output agrees with ONNX Runtime's over the sample inputs (share of exact values,
 * largest difference in output LSBs).
 *
 *   npx tsx examples/onnx_cnn/summarize.ts DIR TARGET...
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

interface RunJson {
  board: string | null;
  counter: { kind: string };
  perInference: number;
  memory: { arena: number; ram: number; flash: number };
  cycleEstimate?: { perInference: number; clockHz: number } | null;
}

interface TensorJson {
  name: string;
  elements: number;
  differing: number;
  maxDifference?: number;
}

interface ValidateJson {
  layers: { tensors: TensorJson[] }[];
}

export interface Agreement {
  values: number;
  exact: number;
  maxLsb: number;
}

/** The model output's integer tensor as ONNX names it: the QuantizeLinear before the graph output. */
export const OUTPUT_TENSOR = 'output_QuantizeLinear_Output';

export function agreementOf(reports: ValidateJson[]): Agreement {
  const total: Agreement = { values: 0, exact: 0, maxLsb: 0 };
  for (const report of reports) {
    const output = report.layers.flatMap((l) => l.tensors).find((t) => t.name === OUTPUT_TENSOR);
    if (!output) throw new Error(`validate compared no tensor ${OUTPUT_TENSOR}`);
    total.values += output.elements;
    total.exact += output.elements - output.differing;
    total.maxLsb = Math.max(total.maxLsb, output.differing > 0 ? (output.maxDifference ?? 1) : 0);
  }
  return total;
}

const grouped = (n: number) => n.toLocaleString('en-US');

function line(dir: string, target: string): string {
  const runFile = join(dir, `${target}.run.json`);
  const validateFiles = readdirSync(dir)
    .filter((f) => f.startsWith(`${target}.validate.`))
    .sort();
  const parts = [target.padEnd(10)];
  if (existsSync(runFile)) {
    const run = JSON.parse(readFileSync(runFile, 'utf8')) as RunJson;
    const est = run.cycleEstimate;
    // a cycle counter is the time itself; instructions (QEMU) go through the timing model's estimate
    const measured = run.counter.kind === 'cycles';
    const cycles = measured ? run.perInference : est?.perInference;
    const ms =
      est && cycles
        ? `, ${measured ? '' : '~'}${((cycles / est.clockHz) * 1000).toFixed(0)} ms at ${est.clockHz / 1e6} MHz${measured ? '' : ' (estimated)'}`
        : '';
    parts.push(
      `${grouped(run.perInference)} ${run.counter.kind}${ms}; arena ${grouped(run.memory.arena)} B, RAM ${grouped(run.memory.ram)} B, flash ${grouped(run.memory.flash)} B`,
    );
  }
  if (validateFiles.length > 0) {
    const a = agreementOf(validateFiles.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ValidateJson));
    parts.push(
      `vs ONNX Runtime over ${validateFiles.length} inputs: ${a.exact}/${a.values} output values exact (${((100 * a.exact) / a.values).toFixed(1)} %), max |diff| ${a.maxLsb} LSB`,
    );
  }
  return parts.join('  ');
}

const [dir, ...targets] = process.argv.slice(2);
if (dir && import.meta.filename === process.argv[1]) for (const t of targets) process.stdout.write(`${line(dir, t)}\n`);
