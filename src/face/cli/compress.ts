// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import { TFJS, loadOptional } from '../../lab/optional_deps.ts';
import { addCalibrationOptions, addDataOptions, addTrainOptions } from './compress_options.ts';
import type { CompressCliOptions } from './compress_actions.ts';
import { PREFER_HELP, preferOption } from './device-options.ts';

export function compressCommand(): Command {
  const cmd = new Command('compress')
    .description(
      'the usual recipe in one command: prune, fine-tune, quantize to int8, compile, build and run on the target; report each step and whether it fits',
    )
    .argument('<model>', 'float model: .tflite, or a TensorFlow.js model.json (or its folder)')
    .option('-t, --target <target>', "target (see `tinyforge targets`) (default: the --board's, else cortex-m4)")
    .option('-b, --board <board>', "a board (`tinyforge boards`; implies its target; default: the target's emulated board)")
    .option(
      '-s, --sparsity <fraction>',
      'one share of weights pruned to zero in every layer (0: no pruning; default 0.7 unless --max-loss or --max-flash choose per layer); --structured: share of channels removed',
    )
    .option('--structured', 'prune whole channels instead of single weights (each layer keeps a multiple of four)')
    .option('--min-weights <n>', 'layers with fewer weights stay dense', '256')
    .option(
      '--max-flash <bytes>',
      "flash the result must fit (default: the target's); without --sparsity, per-layer bits and sparsities are searched to fit it with the least loss",
    )
    .option(
      '--max-loss <x>',
      "search per-layer bits and sparsities (by each layer's measured sensitivity) for the fewest weight bytes losing at most x accuracy points (or x relative output error without class labels)",
    )
    .option(
      '--weight-bits <b>',
      "every layer's weights at b bits (2..8, per channel) after int8 quantization; with unstructured pruning and max scales, the pruning's fine-tuning sees them at b bits (quantization-aware)",
    )
    .option(
      '--weight-clip <how>',
      'how --weight-bits sets each scale: max (the largest weight is the top level) or mse (clipped for the least squared error over the nonzero weights; keeps more small weights at 3-4 bits)',
      'max',
    )
    .option('--sensitivity-samples <n>', 'held-out samples the sensitivity analysis and its verification run', '200')
    .option('--max-ram <bytes>', "RAM the result must fit (default: the target's)")
    .option('--prefer <what>', PREFER_HELP, preferOption)
    .option('--device-samples <n>', 'held-out samples to run on the board', '20')
    .option('--baseline', 'also quantize, build and run the unpruned model, as a dense int8 baseline row')
    .option('-o, --output <file.tflite>', 'int8 output (default: <model>_compressed_int8.tflite)')
    .option('--keep <dir>', 'keep the generated sources and the build here')
    .option('--json', 'print one JSON object on stdout (the report)');
  addDataOptions(cmd);
  addTrainOptions(cmd, '3', '0.002');
  addCalibrationOptions(cmd);
  return cmd.action(async (modelPath: string, opts: CompressCliOptions) => {
    const { compressAction } = await loadOptional(TFJS, 'tinyforge compress', () => import('./compress_actions.ts'));
    await compressAction(modelPath, opts);
  });
}
