// SPDX-License-Identifier: Apache-2.0
import type { EmulatorLink } from '../../lab/device/transport/qemu.ts';
import { Command } from 'commander';
import { stepReporter } from './steps.ts';
import { loadTarget, targetNameFor } from '../../core/targets/targets.ts';
import { TinyforgeError } from '../../core/errors.ts';
import { loadGraph } from '../../core/model/load.ts';
import { readInputCases } from '../../lab/data/inputs.ts';
import type { Graph } from '../../core/ir/graph.ts';
import { checkLabelCount, formatTopClass, isSoftmaxOutput, looksLikeClassifier, readClassLabels, topClass } from '../../lab/data/labels.ts';
import { profileModel } from '../../lab/run/profile.ts';
import { formatProfileReport, profileJson, provenance, readProfileJson } from '../report/profile.ts';
import { chartJsSource, isTinyforgeReport, reportHtml } from '../report/html.ts';
import { styleFor } from '../report/style.ts';
import { TOOL_VERSION } from '../../core/codegen/banner.ts';
import { BATTERY_HELP, CLOCK_HELP, clockOption } from '../../lab/estimate/clock.ts';
import { batteryOption } from '../../lab/estimate/energy.ts';
import { coreOf, cycleEstimateOf, estimateRun, planEstimation } from '../../lab/estimate/estimates.ts';
import { assertReplaceable, writeFileAtomically } from '../../lab/output.ts';
import {
  type PlanShapingFlags,
  BAUD_HELP,
  baudOption,
  checkBaudNeedsPort,
  countOption,
  linkOption,
  LINK_HELP,
  planShaping,
  planShapingOptions,
  reportMismatch,
  requireSerialPort,
  timeoutFlag,
} from './device-options.ts';
import { jsonLine } from '../report/json_document.ts';
import { type FarmFlags, farmOptions, runOnFarm } from './farm.ts';

export function profileCommand(): Command {
  const command = new Command('profile')
    .description('run the model on a board in a profile build and read back the counter per layer, memory and outputs')
    .argument('[model]', 'model file (.tflite or .onnx); default: "model" of tinyforge.json')
    .option('-t, --target <target>', "target (see `tinyforge targets`) (default: the --board's, else cortex-m4)")
    .option(
      '-b, --board <board>',
      "a board (`tinyforge boards`; implies its target): an emulated one to start, with --port the real one; a real board without --port runs on its core's emulator and its chip's memory is checked",
    )
    .option('-p, --port <port>', 'serial port of a board already flashed with this model (tinyforge flash)')
    .option('--baud <rate>', BAUD_HELP, baudOption)
    .option('-i, --input <file>', 'input to profile with (raw bytes or .npy; the first input of the file); default: zero points')
    .option('--runs <n>', 'inferences to average over (1 to 65535)', countOption('--runs', 65_535), 1)
    .option('--link <link>', LINK_HELP, linkOption)
    .addOption(timeoutFlag('one inference', 120))
    .option('--clock <hz>', CLOCK_HELP, clockOption)
    .option('--battery <capacity>', BATTERY_HELP, batteryOption)
    .option('--no-estimate', 'emulated boards: skip the estimated cycles (no instruction trace for the timing model)')
    .option('--labels <file>', "class labels, one a line or a JSON array: the input's top class with its label and score");
  return farmOptions(planShapingOptions(command))
    .option('--json', 'print one JSON object on stdout')
    .option('-v, --verbose', "every figure's basis and each layer's MACs per count and estimates (as in --json and --html)")
    .option('--html <file>', 'also write a self-contained HTML report (per-layer chart and table, memory against capacity, arena timeline)')
    .option('--compare <json>', 'with --html: show this run beside an earlier `profile --json` output (before/after, two targets)')
    .action(
      async (
        modelPath: string,
        opts: {
          target?: string;
          board?: string;
          port?: string;
          baud?: number;
          input?: string;
          runs: number;
          link?: EmulatorLink;
          timeout: number;
          estimate: boolean;
          json?: boolean;
          verbose?: boolean;
          html?: string;
          compare?: string;
          clock?: number;
          battery?: number;
          labels?: string;
        } & PlanShapingFlags &
          FarmFlags,
      ) => {
        if (opts.farm !== undefined) return runOnFarm('profile', modelPath, opts, command);
        // a mistyped port is the first thing said: before the board on it is looked for, before any build
        if (opts.port) requireSerialPort(opts.port);
        // the estimate's board and clock are checked before anything is built
        const plan = planEstimation({ target: opts.target, board: opts.board, port: opts.port, clockHz: opts.clock, batteryMah: opts.battery });
        if (opts.compare && !opts.html) throw new TinyforgeError('--compare needs --html FILE (the comparison is drawn in the HTML report)');
        // read the baseline first: a bad file fails before the build
        const baseline = opts.compare ? readProfileJson(opts.compare) : undefined;
        if (opts.html) {
          assertReplaceable(opts.html, isTinyforgeReport);
          // Chart.js (optional) is read before the build: its absence is said before any work
          chartJsSource('tinyforge profile --html');
        }
        // the model is read here only when an input or labels need it: a mistyped flag is said first
        let loaded: Graph | undefined;
        const graph = () => (loaded ??= loadGraph(modelPath, planShaping(opts)));
        const labels = opts.labels !== undefined ? readClassLabels(opts.labels) : null;
        if (labels) checkLabelCount(graph(), labels, opts.labels!);
        const input = opts.input ? readInputCases(graph(), opts.input)[0] : undefined;
        const runs = opts.runs;
        checkBaudNeedsPort(opts);
        const steps = stepReporter();
        const report = await profileModel(modelPath, {
          target: targetNameFor(opts.target, opts.board),
          board: opts.board,
          port: opts.port,
          baudRate: opts.baud,
          input,
          runs,
          link: opts.link,
          ...planShaping(opts),
          timeoutMs: opts.timeout,
          estimate: opts.estimate,
          estimateClock: plan ? { clockHz: plan.clock.clockHz, flashWaitStates: plan.clock.flashWaitStates } : undefined,
          progress: steps.step,
        });
        steps.done();
        const exact = {
          ...report.counter,
          emulated: !opts.port,
          core: coreOf(loadTarget(report.target)),
          perInference: report.perInference,
          perLayer: report.layers.map((l) => l.count),
        };
        const estimation = estimateRun(plan, exact, cycleEstimateOf(report));
        const json = profileJson(report, provenance(TOOL_VERSION), estimation);
        if (opts.html) {
          writeFileAtomically(opts.html, reportHtml(baseline ? [baseline, json] : [json]), isTinyforgeReport);
          process.stderr.write(`wrote ${opts.html}\n`);
        }
        // the top class of the profiled input: with labels, or for a softmax classifier
        const top = labels || looksLikeClassifier(graph()) ? topClass(graph(), report.outputs[0]!, labels) : undefined;
        const topLine = top ? `\ntop class: ${formatTopClass(top, isSoftmaxOutput(graph()))}` : '';
        process.stdout.write(
          opts.json
            ? jsonLine('profile', top ? { ...json, top } : json)
            : `${formatProfileReport(report, modelPath, estimation, { verbose: opts.verbose, style: styleFor() })}${topLine}\n`,
        );
        if (!report.matchesReference)
          reportMismatch(`${modelPath}: the outputs on ${report.board ?? report.target} differ from tinyforge's reference (the host interpreter)`);
      },
    );
}
