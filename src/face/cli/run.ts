// SPDX-License-Identifier: Apache-2.0
import { stepReporter } from './steps.ts';
import { Command } from 'commander';
import { TinyforgeError } from '../../core/errors.ts';
import {
  HTML_HELP,
  RATE_HELP,
  STRIDE_HELP,
  WINDOW_STRIDE_HELP,
  isSensorInput,
  positiveIntegerOption,
  rateOption,
  refusePipelineFlags,
  runPipeline,
} from './pipeline.ts';
import { type TargetDescriptor, loadTarget, memoryFor, targetNameFor } from '../../core/targets/targets.ts';
import { styleFor } from '../report/style.ts';
import { loadGraph } from '../../core/model/load.ts';
import { readInputCases } from '../../lab/data/inputs.ts';
import { runModel } from '../../lab/run/run.ts';
import { type Capacity, type RunClasses, formatRunReport, runJson } from '../report/run.ts';
import { checkLabelCount, isSoftmaxOutput, looksLikeClassifier, readClassLabels, topClass } from '../../lab/data/labels.ts';
import type { Graph } from '../../core/ir/graph.ts';
import type { RunReport } from '../../lab/run/run.ts';
import { BATTERY_HELP, CLOCK_HELP, clockOption } from '../../lab/estimate/clock.ts';
import { batteryOption } from '../../lab/estimate/energy.ts';
import { coreOf, cycleEstimateOf, estimateRun, planEstimation } from '../../lab/estimate/estimates.ts';
import {
  type PlanShapingFlags,
  linkOption,
  LINK_HELP,
  planShaping,
  planShapingOptions,
  BAUD_HELP,
  CARRY_STATE_HELP,
  baudOption,
  checkBaudNeedsPort,
  reportMismatch,
  requireSerialPort,
  timeoutFlag,
} from './device-options.ts';
import type { EmulatorLink } from '../../lab/device/transport/qemu.ts';
import { jsonLine } from '../report/json_document.ts';
import { type FarmFlags, farmOptions, runOnFarm } from './farm.ts';

/** Each case's top class: its first output's largest element, labelled, dequantized. */
function runClasses(graph: Graph, report: RunReport, labels: string[] | null): RunClasses {
  return { tops: report.cases.map((c) => topClass(graph, c.outputs[0]!, labels)), probability: isSoftmaxOutput(graph) };
}

export function runCommand(): Command {
  const command = new Command('run')
    .description('compile, build and run a model on the target (emulated board by default); print outputs, counter and memory')
    .argument(
      '[model]',
      'model file (.tflite or .onnx); default: "model" of tinyforge.json; with a second model, the front-end of a pipeline (docs/pipeline.md)',
    )
    .argument('[pipeline-model]', "a pipeline's model, fed the first model's features frame by frame (--input: a .wav or .raw clip)")
    .option('-t, --target <target>', "target (see `tinyforge targets`) (default: the --board's, else cortex-m4)")
    .option(
      '-b, --board <board>',
      "a board (`tinyforge boards`; implies its target): an emulated one to start, with --port the real one; a real board without --port runs on its core's emulator and its chip's memory is checked",
    )
    .option('-p, --port <port>', 'serial port of a real board already flashed with this model (tinyforge flash MODEL)')
    .option('--baud <rate>', BAUD_HELP, baudOption)
    .option('-i, --input <file>', 'input: raw bytes (all inputs concatenated; several back to back run each) , .npy, or .pb (an ONNX TensorProto)')
    .option('--carry-state', CARRY_STATE_HELP)
    .option('--link <link>', LINK_HELP, linkOption)
    .option('--keep <dir>', 'keep the generated sources and the build in this directory')
    .addOption(timeoutFlag('the run', 300))
    .option('--clock <hz>', CLOCK_HELP, clockOption)
    .option('--battery <capacity>', BATTERY_HELP, batteryOption)
    .option('--no-estimate', 'emulated boards: skip the estimated cycles (no instruction trace for the timing model)')
    .option('--stride <n>', STRIDE_HELP, positiveIntegerOption('--stride'))
    .option('--window-stride <frames>', WINDOW_STRIDE_HELP, positiveIntegerOption('--window-stride'))
    .option('--rate <hz>', RATE_HELP, rateOption)
    .option('--labels <labels>', "class labels, one a line or a JSON array: each input's top class with its label and score; a pipeline's also as a,b,c")
    .option('--html <file>', HTML_HELP);
  return farmOptions(planShapingOptions(command))
    .option('--json', 'print one JSON object on stdout')
    .option('-v, --verbose', "every figure's basis: the counter's source, the estimates' datasheet figures, the row bands")
    .action(
      async (
        modelPath: string,
        pipelineModel: string | undefined,
        opts: {
          target?: string;
          board?: string;
          port?: string;
          baud?: number;
          input?: string;
          keep?: string;
          timeout: number;
          estimate: boolean;
          json?: boolean;
          verbose?: boolean;
          link?: EmulatorLink;
          clock?: number;
          battery?: number;
          carryState?: boolean;
          stride?: number;
          windowStride?: number;
          rate?: number;
          labels?: string;
          html?: string;
        } & PlanShapingFlags &
          FarmFlags,
      ) => {
        if (opts.farm !== undefined) {
          if (pipelineModel !== undefined) throw new TinyforgeError('--farm runs one model: a pipeline runs locally');
          return runOnFarm('run', modelPath, opts, command);
        }
        if (pipelineModel !== undefined || isSensorInput(opts.input)) {
          refusePipelineFlags({
            '--max-ram': opts.maxRam,
            '--max-flash': opts.maxFlash,
            '--patch': opts.patch,
            '--prefer': opts.prefer,
            '--carry-state': opts.carryState,
          });
          const steps = stepReporter();
          await runPipeline(pipelineModel !== undefined ? modelPath : null, pipelineModel ?? modelPath, opts, steps.step);
          steps.done();
          return;
        }
        for (const flag of ['stride', 'windowStride', 'rate', 'html'] as const)
          if (opts[flag] !== undefined)
            throw new TinyforgeError(
              `--${flag === 'windowStride' ? 'window-stride' : flag} is for a pipeline: give a front-end and a model, or a .csv recording as --input`,
            );
        // a mistyped port is the first thing said: before the board on it is looked for, before any build
        if (opts.port) requireSerialPort(opts.port);
        // the estimate's board and clock are checked before anything is built
        const plan = planEstimation({ target: opts.target, board: opts.board, port: opts.port, clockHz: opts.clock, batteryMah: opts.battery });
        // the model is read here only when an input or labels need it: a mistyped flag is said first
        let loaded: Graph | undefined;
        const graph = () => (loaded ??= loadGraph(modelPath, planShaping(opts)));
        const labels = opts.labels !== undefined ? readClassLabels(opts.labels) : null;
        if (labels) checkLabelCount(graph(), labels, opts.labels!);
        const cases = opts.input ? readInputCases(graph(), opts.input) : undefined;
        checkBaudNeedsPort(opts);
        const steps = stepReporter();
        const report = await runModel(modelPath, {
          target: targetNameFor(opts.target, opts.board),
          board: opts.board,
          port: opts.port,
          baudRate: opts.baud,
          cases,
          carryState: opts.carryState,
          workDir: opts.keep,
          link: opts.link,
          ...planShaping(opts),
          timeoutMs: opts.timeout,
          estimate: opts.estimate,
          estimateClock: plan ? { clockHz: plan.clock.clockHz, flashWaitStates: plan.clock.flashWaitStates } : undefined,
          progress: steps.step,
        });
        steps.done();
        const target = loadTarget(report.target);
        const exact =
          report.counter && report.perInference !== null
            ? { ...report.counter, emulated: !opts.port, core: coreOf(target), perInference: report.perInference, perLayer: null }
            : null;
        const estimation = estimateRun(plan, exact, cycleEstimateOf(report));
        const classes = labels || looksLikeClassifier(graph()) ? runClasses(graph(), report, labels) : undefined;
        const format = { verbose: opts.verbose, style: styleFor(), capacity: capacityOf(target, report.board), classes };
        process.stdout.write(opts.json ? jsonLine('run', runJson(report, estimation, classes)) : `${formatRunReport(report, modelPath, estimation, format)}\n`);
        if (!report.matchesReference)
          reportMismatch(
            `${modelPath}: the outputs on ${report.board ?? report.target} differ from tinyforge's reference (the host interpreter); the report above shows where`,
          );
      },
    );
}

/** The memory of the board that ran the model (the target's, for an emulated board); null on the host. */
function capacityOf(target: TargetDescriptor, board: string | null): Capacity | null {
  const memory = memoryFor(
    target,
    target.boards.find((b) => b.name === board),
  );
  return memory ? { flash: memory.flashBytes, ram: memory.ramBytes, ...(board ? { board } : {}) } : null;
}
