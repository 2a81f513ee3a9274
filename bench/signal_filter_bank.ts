// SPDX-License-Identifier: Apache-2.0
/**
 * The audio front-end's ops after the FFT (SignalEnergy, SignalFilterBank, SignalFilterBankSquareRoot,
 * SignalFilterBankSpectralSubtraction, SignalPCAN, SignalFilterBankLog) at the micro_speech sizes,
 * with the tables and options of ../shared/models/zoo/tflm_audio_preprocessor_int8.tflite: each a
 * one-op model run for one frame on the emulated Cortex-M4 (QEMU instructions), RP2040 (rp2040js
 * cycles) and ESP32-C3 class (QEMU riscv32 instructions), with the timing model's estimated cycles
 * where the core has one; outputs checked against the TS reference.
 *
 *   npx tsx bench/signal_filter_bank.ts [--targets cortex-m4,rp2040,esp32c3] [--ops energy,filterbank]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Graph, type Op, elementCount } from '../src/core/ir/graph.ts';
import { readTflite } from '../src/core/model/tflite/reader.ts';
import { saveTflite } from '../src/lab/model_files.ts';
import { runModel } from '../src/lab/run/run.ts';
import { GraphBuilder } from '../test/helpers/graph_builder.ts';
import { rng } from '../test/helpers/op_harness.ts';
import { sharedModelPath } from '../test/helpers/shared.ts';

const MODEL = sharedModelPath('zoo/tflm_audio_preprocessor_int8');

/** One op of the model on its own: its constant inputs kept, the others made graph inputs. */
function alone(model: Graph, op: Op): Graph {
  const b = new GraphBuilder(op.kind.replace('CUSTOM:', '').toLowerCase());
  const inputs = op.inputs.map((i) => {
    const t = model.tensors[i]!;
    return t.data ? b.constant({ shape: t.shape, dtype: t.dtype }, new Uint8Array(t.data) as never) : b.input({ shape: t.shape, dtype: t.dtype });
  });
  const outputs = b.op(
    op.kind,
    inputs,
    op.outputs.map((o) => ({ shape: model.tensors[o]!.shape, dtype: model.tensors[o]!.dtype })),
    op.attrs,
  );
  b.output(...outputs);
  return b.build();
}

/** Plausible magnitudes for each input of one frame (the emulated cost hardly depends on them). */
function frameInputs(graph: Graph, seed: number): Uint8Array[] {
  const rand = rng(seed);
  return graph.inputs.map((i) => {
    const t = graph.tensors[i]!;
    const n = elementCount(t.shape);
    switch (t.dtype) {
      case 'int16':
        return new Uint8Array(Int16Array.from({ length: n }, () => Math.round((rand() - 0.5) * 6000)).buffer);
      case 'uint32':
        return new Uint8Array(Uint32Array.from({ length: n }, () => Math.floor(rand() * 2 ** 22)).buffer);
      case 'uint64':
        return new Uint8Array(BigUint64Array.from({ length: n }, () => BigInt(Math.floor(rand() * 2 ** 40))).buffer);
      case 'int32':
        return new Uint8Array(Int32Array.from({ length: n }, () => 4).buffer);
      default:
        throw new Error(`no frame data for ${t.dtype}`);
    }
  });
}

const KEYS: Record<string, string> = {
  'CUSTOM:SignalEnergy': 'energy',
  'CUSTOM:SignalFilterBank': 'filterbank',
  'CUSTOM:SignalFilterBankSquareRoot': 'sqrt',
  'CUSTOM:SignalFilterBankSpectralSubtraction': 'subtraction',
  'CUSTOM:SignalPCAN': 'pcan',
  'CUSTOM:SignalFilterBankLog': 'log',
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const targets = (arg('--targets') ?? 'cortex-m4,rp2040,esp32c3').split(',');
  const keys = arg('--ops')?.split(',');
  const model = readTflite(MODEL);
  const work = mkdtempSync(join(tmpdir(), 'tinyforge-signal-fb-'));
  try {
    for (const op of model.ops) {
      const key = KEYS[op.kind];
      if (!key || (keys && !keys.includes(key))) continue;
      const graph = alone(model, op);
      const path = join(work, `${key}.tflite`);
      saveTflite(path, graph);
      const cells: string[] = [key.padEnd(12)];
      for (const target of targets) {
        const r = await runModel(path, { target, cases: [frameInputs(graph, 7)] });
        const estimate = r.cycleEstimate ? ` (~${r.cycleEstimate.perInference} cycles)` : '';
        cells.push(`${target} ${r.perInference} ${r.counter?.kind ?? ''}${estimate}${r.matchesReference ? '' : ' MISMATCH'}`);
      }
      process.stdout.write(cells.join('  ') + '\n');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
