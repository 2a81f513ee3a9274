// SPDX-License-Identifier: Apache-2.0
/**
 * The signal library's FFT layers per frame: SignalRfft and SignalIrfft (fft_length 512 int16, the
 * micro_speech front end's, and int32) and SignalFftAutoScale, each a one-op model run once on the
 * emulated Cortex-M4 (QEMU instructions), RP2040 (rp2040js cycles) and ESP32-C3 class (QEMU
 * riscv32 instructions), outputs checked against the TS reference.
 *
 *   npx tsx bench/signal_fft.ts [--targets cortex-m4,rp2040,esp32c3] [--ops rfft16,irfft16,rfft32,autoscale]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Graph, elementCount } from '../src/core/ir/graph.ts';
import { encodeCustomOptions } from '../src/core/model/tflite/custom_options.ts';
import { saveTflite } from '../src/lab/model_files.ts';
import { runModel } from '../src/lab/run/run.ts';
import { GraphBuilder } from '../test/helpers/graph_builder.ts';
import { samples } from '../test/helpers/fft_frames.ts';
import { rng } from '../test/helpers/op_harness.ts';

interface Layer {
  key: string;
  name: string;
  graph(): Graph;
}

function fft(kind: 'SignalRfft' | 'SignalIrfft', width: 'int16' | 'int32', fftLength: number): Graph {
  const b = new GraphBuilder(`${kind}_${width}_${fftLength}`);
  const [inner, outer] = kind === 'SignalRfft' ? [fftLength, fftLength + 2] : [fftLength + 2, fftLength];
  const x = b.input({ shape: [1, inner], dtype: width });
  const options = encodeCustomOptions({ T: width === 'int16' ? 7 : 2, fft_length: fftLength });
  b.output(b.op(`CUSTOM:${kind}`, [x], [{ shape: [1, outer], dtype: width }], { customOptions: options })[0]!);
  return b.build();
}

const LAYERS: Layer[] = [
  { key: 'rfft16', name: 'Rfft int16 512', graph: () => fft('SignalRfft', 'int16', 512) },
  { key: 'irfft16', name: 'Irfft int16 512', graph: () => fft('SignalIrfft', 'int16', 512) },
  { key: 'rfft32', name: 'Rfft int32 512', graph: () => fft('SignalRfft', 'int32', 512) },
  {
    key: 'autoscale',
    name: 'FftAutoScale 480',
    graph: () => {
      const b = new GraphBuilder('autoscale');
      const x = b.input({ shape: [480], dtype: 'int16' });
      const outs = b.op(
        'CUSTOM:SignalFftAutoScale',
        [x],
        [
          { shape: [480], dtype: 'int16' },
          { shape: [], dtype: 'int32' },
        ],
      );
      b.output(...outs);
      return b.build();
    },
  },
];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const targets = (arg('--targets') ?? 'cortex-m4,rp2040,esp32c3').split(',');
  const ops = arg('--ops')?.split(',');
  const work = mkdtempSync(join(tmpdir(), 'tinyforge-signal-fft-'));
  try {
    for (const [k, l] of LAYERS.entries()) {
      if (ops && !ops.includes(l.key)) continue;
      const graph = l.graph();
      const path = join(work, `layer${k}.tflite`);
      saveTflite(path, graph);
      const rand = rng(900 + k);
      const inputs = graph.inputs.map((i) => {
        const t = graph.tensors[i]!;
        const x = samples('random', t.dtype === 'int32' ? 'int32' : 'int16', elementCount(t.shape), rand);
        // a speech-like level: a quarter of full scale
        for (let j = 0; j < x.length; j++) x[j] = Math.trunc(x[j]! / 4);
        return new Uint8Array(x.buffer);
      });
      const cells: string[] = [l.name.padEnd(18)];
      for (const target of targets) {
        const r = await runModel(path, { target, cases: [inputs] });
        cells.push(`${target} ${Math.round(r.perInference ?? NaN)}/frame${r.matchesReference ? '' : ' MISMATCH'}`);
      }
      process.stdout.write(cells.join('  ') + '\n');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
