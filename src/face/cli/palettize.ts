// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';

export interface PalettizeCliOptions {
  bits: string;
  perLayer?: boolean;
  layerBits?: string;
  minWeights: string;
  output?: string;
  json?: boolean;
}

export function palettizeCommand(): Command {
  return new Command('palettize')
    .description(
      'cluster the weights of an int8 model (k-means) to at most 2^b distinct values per channel or layer; the result is a plain int8 .tflite, which compile stores as b-bit indices + a look-up table',
    )
    .argument('<model>', 'int8 .tflite')
    .option('--bits <b>', 'index bits, 2..6 (at most 2^b values per palette)', '4')
    .option('--per-layer', 'one palette for the whole layer instead of one per output channel')
    .option('--layer-bits <list>', 'per-layer bits: comma-separated <weight tensor name>=<b>')
    .option('--min-weights <n>', 'weight tensors with fewer elements stay as they are', '1')
    .option('-o, --output <file.tflite>', 'output (default: <model>_palette<b>.tflite)')
    .option('--json', 'print one JSON object on stdout: each layer clustered and the output file')
    .action(async (modelPath: string, opts: PalettizeCliOptions) => {
      const { palettizeAction } = await import('./palettize_action.ts');
      await palettizeAction(modelPath, opts);
    });
}
