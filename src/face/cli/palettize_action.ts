// SPDX-License-Identifier: Apache-2.0
/** `tinyforge palettize`: reads an int8 .tflite, clusters its weights (palettize.ts), writes the result. */
import { extname } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { readTflite } from '../../core/model/tflite/reader.ts';
import { saveTflite } from '../../lab/model_files.ts';
import { letSignalsIn } from '../../lab/lifecycle.ts';
import type { PalettizeCliOptions } from './palettize.ts';
import { checkPaletteBits, palettize } from '../../compress/palettize.ts';
import { defaultOutput, positiveNumber } from './compress_options.ts';
import { jsonLine } from '../report/json_document.ts';

export function parseLayerBits(list: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of (list ?? '').split(',').filter((s) => s.trim() !== '')) {
    const at = item.lastIndexOf('=');
    if (at <= 0) throw new TinyforgeError(`--layer-bits "${item}": expected <weight tensor name>=<bits>`);
    out[item.slice(0, at).trim()] = checkPaletteBits(Number(item.slice(at + 1)), `--layer-bits ${item.slice(0, at).trim()}`);
  }
  return out;
}

export async function palettizeAction(modelPath: string, opts: PalettizeCliOptions): Promise<void> {
  if (extname(modelPath).toLowerCase() !== '.tflite') throw new TinyforgeError(`${modelPath}: palettize reads an int8 .tflite`);
  const graph = readTflite(modelPath);
  const bits = checkPaletteBits(Number(opts.bits), '--bits');
  const layerBits = parseLayerBits(opts.layerBits);
  const result = palettize(graph, { bits, layerBits, perChannel: !opts.perLayer, minWeights: positiveNumber(opts.minWeights, '--min-weights', true) });
  if (result.layers.length === 0) throw new TinyforgeError(`${modelPath}: no int8 CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED weights to palettize`);
  const unknown = Object.keys(layerBits).filter((name) => !result.layers.some((l) => l.tensor === name));
  if (unknown.length) throw new TinyforgeError(`--layer-bits: no weight tensor named ${unknown.map((n) => `"${n}"`).join(', ')}`);
  for (const l of result.layers) {
    process.stderr.write(
      `  ${l.kind} ${l.tensor}: ${l.bits} bits ${l.perChannel ? 'per channel' : 'per layer'}, ${l.distinctBefore} -> ${l.distinctAfter} values, rms change ${l.rmse.toFixed(3)} steps\n`,
    );
  }
  const output = opts.output ?? defaultOutput(modelPath, `palette${bits}`);
  // a Ctrl-C during the synchronous palettization is honoured before anything is written
  await letSignalsIn();
  saveTflite(output, result.graph);
  // the weights are still int8 values: the palette storage saves flash only where compile picks it
  const next = `to store these weights as ${bits}-bit palettes: tinyforge compile ${output} --prefer size`;
  const why = '(the default, --prefer speed, keeps int8 storage where it runs faster)';
  process.stdout.write(opts.json ? jsonLine('palettize', { output, layers: result.layers, next: `${next} ${why}` }) : `wrote ${output}\n${next}\n${why}\n`);
}
