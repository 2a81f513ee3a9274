// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge tune MODEL --data DATA --boards B1,B2`: the measured front of accuracy, estimated ms,
 * RAM and flash per board over the compression and compile options (docs/tune.md). The command's
 * options are here, free of tfjs; the search (src/compress/tune.ts) loads when it runs.
 */
import { Command } from 'commander';
import { TFJS, loadOptional } from '../../lab/optional_deps.ts';
import { addCalibrationOptions, addDataOptions, addTrainOptions } from './compress_options.ts';
import type { TuneCliOptions } from './tune_action.ts';
import { farmAccess } from './farm.ts';

export function tuneCommand(): Command {
  const cmd = new Command('tune')
    .description(
      "search the compression and compile options for each board's front of held-out accuracy, estimated ms, peak RAM and flash; every point built, run and checked bit-exact on its board",
    )
    .argument('<model>', 'float or int8 model: .tflite, ONNX (.onnx) or a TensorFlow.js model.json (or its folder)')
    .requiredOption('--boards <b1,b2,...>', 'the boards to tune for (`tinyforge boards`), comma-separated')
    .option('--max-ram <bytes>', 'the front keeps only points with at most this peak RAM')
    .option('--max-flash <bytes>', 'the front keeps only points with at most this flash')
    .option('--max-ms <ms>', 'the front keeps only points at most this slow (estimated ms per inference)')
    .option('--min-accuracy <percent>', 'the front keeps only points at least this accurate on the held-out data (percent)')
    .option('--channels <ratios>', 'structured pruning: shares of channels removed to try (comma-separated; none: no channel pruning)', '0.3,0.5')
    .option(
      '--channel-multiple <n>',
      "each channel-pruned layer keeps a multiple of this many channels (the kernels' channel groups; 1: as the ratio falls)",
      '4',
    )
    .option('--losses <points>', 'per-layer bits and sparsity by sensitivity: loss budgets in accuracy points to try (none: skip)', '0.25')
    .option('--weight-bits <bits>', 'uniform weight widths below 8 to try (none: skip)', '4')
    .option('--palette-bits <bits>', 'palette index widths to try (none: skip)', '3')
    .option('--prefer <list>', 'the compile --prefer choices to try, comma-separated: speed, size', 'speed,size')
    .option('--all-clocks', "also try every clock the board's descriptor offers (default: its clock)")
    .option('--channel-epochs <n>', 'fine-tuning epochs after channel pruning', '12')
    .option('--channel-lr <rate>', 'the fine-tuning step size after channel pruning (Adam)', '0.003')
    .option('--qat-above <points>', 'train quantization-aware when post-training int8 loses more than this many points', '0.5')
    .option('--sensitivity-samples <n>', 'held-out samples the sensitivity analysis runs', '200')
    .option('--device-samples <n>', 'held-out samples each candidate runs on its board, compared byte for byte with the host reference', '5')
    .option('--search-dir <dir>', "where the candidates' models and the search's state go (default: .tinyforge-cache/tune/<model>)")
    .option('--resume', 'continue the search whose state is in --search-dir (an interrupted one, or one with more boards)')
    .option('--pick <board:n>', "write the firmware of the front's n-th point on that board (as `compile` does)")
    .option('--project <kind>', 'with --pick: lay the sources out as a project of this kind (compile --project)')
    .option('-o, --output <dir>', 'with --pick: where the firmware goes (default: <search-dir>/firmware-<board>-<n>)')
    .option('--farm <url>', "run the candidates on the farm's boards (a Redis URL, docs/farm.md), side by side on its workers")
    .option('--html <file>', 'also write the report as HTML: a scatter plot of the front per board')
    .option('--json', 'print one JSON object on stdout (the report)');
  addDataOptions(
    cmd,
    "labelled data: .npz, .npy (with --labels-file), .csv, a folder of images, or a folder of WAV clips (with --front-end); a held-out share (or the data set's own validation list) judges accuracy, the rest calibrates and fine-tunes",
  );
  addTrainOptions(cmd, '2', '0.001');
  addCalibrationOptions(cmd);
  farmAccess(cmd, 'with --farm: ');
  return cmd.action(async (modelPath: string, opts: TuneCliOptions) => {
    const { tuneAction } = await loadOptional(TFJS, 'tinyforge tune', () => import('./tune_action.ts'));
    await tuneAction(modelPath, opts);
  });
}
