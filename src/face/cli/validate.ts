// SPDX-License-Identifier: Apache-2.0
import type { EmulatorLink } from '../../lab/device/transport/qemu.ts';
import { wrapLines } from '../report/layout.ts';
import { Command, Option } from 'commander';
import { addAudioDataOptions, audioDataOptions } from './compress_options.ts';
import { targetNameFor } from '../../core/targets/targets.ts';
import { loadGraph } from '../../core/model/load.ts';
import { type ValidateReport, readNamedInputs, validateModel } from '../../lab/run/validate.ts';
import { toleranceLine } from '../../lab/run/float_tolerance.ts';
import { formatTable } from '../report/table.ts';
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
import { stepReporter } from './steps.ts';
import { compileChoicesOf } from './choice-options.ts';
import { TinyforgeError } from '../../core/errors.ts';
import { type ReferenceReport, referenceVerdict, validateAgainstReference } from '../../lab/run/validate-reference.ts';
import type { OrtLevelComparison } from '../../lab/run/onnx_reference.ts';
import { checkLabelCount, readClassLabels } from '../../lab/data/labels.ts';
import type { SamplePart } from '../../lab/data/audio_folder.ts';
import { formatOriginalComparison } from '../report/validate.ts';
import { jsonLine } from '../report/json_document.ts';
import { ORT_OPTIMIZATION_LEVELS, type OrtOptimizationLevel } from '../../lab/run/onnxruntime.ts';
import { type FarmFlags, farmOptions, runOnFarm } from './farm.ts';

export function validateCommand(): Command {
  const command = new Command('validate')
    .description(
      "run many inputs on a board and compare every output bit for bit with the host reference; with --reference, compare every layer's output with a per-tensor dump (docs/reference-dumps.md); with --original, compare the int8 model with its float original (RMSE, MAE, L2 relative error, cosine, accuracy, confusion matrix)",
    )
    .argument('[model]', 'model file (.tflite or .onnx); default: "model" of tinyforge.json')
    .option('--inputs <path>', 'a raw file of inputs back to back, a .npy with a batch dimension, or a directory of .bin/.npy files')
    .option('--carry-state', `with --inputs: ${CARRY_STATE_HELP}`)
    .option(
      '--original <model>',
      'the float model the int8 one came from (.tflite or TF.js model.json): run both on --inputs (then a data set: .npz, .npy, .csv, a folder of images, or a folder of WAV clips with --front-end) and compare their outputs',
    )
    .option('--labels-file <file.npy>', 'with --original: the true classes of a .npy of inputs (an .npz, .csv or image folder carries its own)')
    .option('--labels <file>', 'with --original: class labels, one a line or a JSON array, naming the confusion matrix')
    .addOption(
      new Option(
        '--split <list>',
        'with --original and a data set with its own validation_list.txt and testing_list.txt (a folder of WAV clips): the part compared: train (the clips in neither list), validation or test',
      )
        .choices(['train', 'validation', 'test'])
        .default('validation'),
    );
  addAudioDataOptions(command)
    .option(
      '--reference <dir>',
      "a per-tensor reference dump (index.json + <index>.bin, as tflm-ref --layers writes; or an ONNX model's TensorProto files, as ONNX Runtime's node I/O dump writes them), or `onnxruntime` to run an ONNX model in ONNX Runtime now: name the first layer whose output differs",
    )
    .option('--ort-level <level>', `with --reference onnxruntime: ONNX Runtime's graph optimization level (${ORT_OPTIMIZATION_LEVELS.join(', ')})`, 'all')
    .option(
      '--input <file>',
      "with --reference: the input the reference was made with (raw, several inferences back to back, or .npy); default: the reference's own input tensors",
    )
    .option('-t, --target <target>', "target (see `tinyforge targets`; with --reference also host) (default: the --board's, else cortex-m4)")
    .option(
      '-b, --board <board>',
      "a board (`tinyforge boards`; implies its target): an emulated one to start, with --port the real one; a real board without --port runs on its core's emulator and its chip's memory is checked",
    )
    .option('-p, --port <port>', 'serial port of a board already flashed with this model (tinyforge flash)')
    .option('--baud <rate>', BAUD_HELP, baudOption)
    .option('--link <link>', LINK_HELP, linkOption)
    .addOption(timeoutFlag('one inference', 120));
  return farmOptions(planShapingOptions(command))
    .option('--json', 'print one JSON object on stdout')
    .action(
      async (
        modelPath: string,
        opts: {
          inputs?: string;
          reference?: string;
          input?: string;
          target?: string;
          board?: string;
          port?: string;
          baud?: number;
          link?: EmulatorLink;
          timeout: number;
          json?: boolean;
          carryState?: boolean;
          original?: string;
          labelsFile?: string;
          labels?: string;
          ortLevel: string;
          split: string;
          frontEnd?: string;
          stride?: string;
          sampleRate: string;
        } & PlanShapingFlags &
          FarmFlags,
      ) => {
        if (opts.farm !== undefined) return runOnFarm('validate', modelPath, opts, command);
        if (opts.port) requireSerialPort(opts.port);
        if (opts.original !== undefined) {
          await validateOriginal(modelPath, { ...opts, original: opts.original });
          return;
        }
        if (opts.labelsFile !== undefined) throw new TinyforgeError('--labels-file goes with --original: the true classes of its --inputs');
        for (const flag of ['split', 'frontEnd', 'stride', 'sampleRate'])
          if (command.getOptionValueSource(flag) === 'cli')
            throw new TinyforgeError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} goes with --original: it reads its --inputs data set`);
        if (command.getOptionValueSource('labels') === 'cli') throw new TinyforgeError('--labels goes with --original: it names the classes compared');
        if (opts.reference !== undefined) {
          if (opts.inputs !== undefined)
            throw new TinyforgeError('give --inputs (outputs vs the host reference) or --reference (every layer vs a dump), not both');
          // a budget or row bands can keep a layer's output from ever existing whole in the arena
          if (opts.maxRam !== undefined || opts.maxFlash !== undefined || (opts.patch !== undefined && opts.patch !== 'off'))
            throw new TinyforgeError(
              "--reference reads every layer's whole output from the arena: drop --max-ram, --max-flash and --patch (check a budgeted build with --inputs)",
            );
          if (opts.carryState) throw new TinyforgeError('--carry-state goes with --inputs: --reference compares one input, from reset state');
          if (!(ORT_OPTIMIZATION_LEVELS as readonly string[]).includes(opts.ortLevel))
            throw new TinyforgeError(`--ort-level: "${opts.ortLevel}" is not one of ${ORT_OPTIMIZATION_LEVELS.join(', ')}`);
          if (command.getOptionValueSource('ortLevel') === 'cli' && opts.reference !== 'onnxruntime')
            throw new TinyforgeError('--ort-level goes with --reference onnxruntime');
          await validateReference(modelPath, { ...opts, reference: opts.reference });
          return;
        }
        if (opts.input !== undefined) throw new TinyforgeError('--input goes with --reference DIR; for many inputs give --inputs PATH');
        if (opts.inputs === undefined)
          throw new TinyforgeError(
            'give --inputs PATH (inputs, outputs compared with the host reference) or --reference DIR (a per-tensor dump, every layer compared)',
          );
        const inputs = readNamedInputs(loadGraph(modelPath, planShaping(opts)), opts.inputs);
        checkBaudNeedsPort(opts);
        const steps = stepReporter();
        const report = await validateModel(modelPath, {
          target: targetNameFor(opts.target, opts.board),
          board: opts.board,
          port: opts.port,
          baudRate: opts.baud,
          inputs,
          carryState: opts.carryState,
          link: opts.link,
          ...planShaping(opts),
          timeoutMs: opts.timeout,
          progress: steps.step,
          onCase: (done, total) => steps.count(done, total, 'inputs compared'),
        });
        steps.done();
        process.stdout.write(opts.json ? jsonLine('validate', report) : `${wrapLines(formatValidateReport(report))}\n`);
        if (report.matched !== report.total)
          reportMismatch(
            `${modelPath}: ${report.total - report.matched} of ${report.total} inputs give outputs on the board that differ from tinyforge's reference`,
          );
      },
    );
}

async function validateOriginal(
  modelPath: string,
  opts: {
    original: string;
    inputs?: string;
    reference?: string;
    input?: string;
    carryState?: boolean;
    labelsFile?: string;
    labels?: string;
    split: string;
    frontEnd?: string;
    stride?: string;
    sampleRate: string;
    target?: string;
    board?: string;
    port?: string;
    baud?: number;
    link?: EmulatorLink;
    timeout: number;
    json?: boolean;
  } & PlanShapingFlags,
): Promise<void> {
  if (opts.inputs === undefined) throw new TinyforgeError('--original needs --inputs DATA: the inputs both models run');
  for (const [flag, given] of [
    ['--reference', opts.reference],
    ['--input', opts.input],
    ['--carry-state', opts.carryState],
  ] as const)
    if (given !== undefined) throw new TinyforgeError(`${flag} does not go with --original`);
  const graph = loadGraph(modelPath, planShaping(opts));
  const classLabels = opts.labels !== undefined ? readClassLabels(opts.labels) : undefined;
  if (classLabels) checkLabelCount(graph, classLabels, opts.labels!);
  checkBaudNeedsPort(opts);
  const steps = stepReporter();
  // TF.js (the float model's executor) loads only for this comparison
  const { compareWithOriginal } = await import('../../compress/validate_original.ts');
  const report = await compareWithOriginal(modelPath, {
    original: opts.original,
    data: opts.inputs,
    truthFile: opts.labelsFile,
    classLabels,
    split: opts.split as SamplePart,
    audio: audioDataOptions(opts),
    target: targetNameFor(opts.target, opts.board),
    board: opts.board,
    port: opts.port,
    baudRate: opts.baud,
    link: opts.link,
    ...planShaping(opts),
    timeoutMs: opts.timeout,
    progress: steps.step,
    onCase: (done, total) => steps.count(done, total, 'inputs run'),
  });
  steps.done();
  process.stdout.write(opts.json ? jsonLine('validate', report) : `${formatOriginalComparison(report)}\n`);
  if (report.bitExact.matched !== report.bitExact.total)
    reportMismatch(
      `${modelPath}: ${report.bitExact.total - report.bitExact.matched} of ${report.bitExact.total} inputs give outputs on ${report.board ?? report.target} that differ from tinyforge's reference`,
    );
}

async function validateReference(
  modelPath: string,
  opts: {
    reference: string;
    input?: string;
    target?: string;
    board?: string;
    port?: string;
    link?: EmulatorLink;
    timeout: number;
    json?: boolean;
    ortLevel: string;
    bind?: string[];
  },
): Promise<void> {
  const steps = stepReporter();
  const { bind } = compileChoicesOf({ bind: opts.bind });
  const report = await validateAgainstReference(modelPath, {
    ...(bind ? { bind } : {}),
    ortLevel: opts.ortLevel as OrtOptimizationLevel,
    target: targetNameFor(opts.target, opts.board),
    board: opts.board,
    port: opts.port,
    reference: opts.reference,
    input: opts.input,
    link: opts.link,
    timeoutMs: opts.timeout,
    progress: steps.step,
  });
  steps.done();
  const verdict = referenceVerdict(report);
  if (opts.json) process.stdout.write(jsonLine('validate', report));
  else process.stdout.write(`${wrapLines(`${formatReferenceReport(report)}\n\n${verdict}`)}\n`);
  if (!report.match) reportMismatch(`${modelPath}: ${verdict}`);
}

/** ONNX Runtime at the level compared against and at the other one: equal, or how many output elements differ. */
export function formatOrtLevels(l: OrtLevelComparison): string {
  if (l.differing === 0) return `ONNX Runtime gives the same outputs at levels ${l.compared} (compared against) and ${l.other}`;
  return `ONNX Runtime at level ${l.other} gives other outputs than at ${l.compared}: ${l.differing} of ${l.elements} output elements differ; compared against ${l.compared}`;
}

function formatReferenceReport(r: ReferenceReport): string {
  const result = (c: { differing: number; elements: number; element?: number; expected?: number; actual?: number }) =>
    c.differing === 0 ? 'equal' : `${c.differing} of ${c.elements} differ; first [${c.element}]: expected ${c.expected}, got ${c.actual}`;
  const rows: (string | number)[][] = r.layers.flatMap((l) =>
    l.tensors.map((t) => [`${l.position}`, l.op, `${l.opIndex}`, `${t.tensor} "${t.name}"`, result(t)]),
  );
  for (const o of r.outputs) rows.push([`output ${o.output}`, '', '', `${o.tensor} "${o.name}"`, result(o)]);
  for (const v of r.state) rows.push(['state', '', '', `${v.tensor} "${v.name}"`, result(v)]);
  const lines = [
    `${r.model} on ${r.board ?? r.target}, input: ${r.input}${r.inferences > 1 ? ` (${r.inferences} inferences, the last compared)` : ''}`,
    '',
    formatTable(['layer', 'op', 'op index', 'tensor', 'vs reference'], rows, undefined, {
      shrink: [
        { column: 4, min: 24 },
        { column: 3, from: 'start', min: 16 },
      ],
    }),
  ];
  if (r.notComparable.length > 0) {
    lines.push('', 'not comparable:', ...r.notComparable.map((n) => `  tensor ${n.tensor} "${n.name}": ${n.reason}`));
  }
  lines.push(
    '',
    `also checked: ${r.checked.inputs} model input${r.checked.inputs === 1 ? '' : 's'} equal the input, ${r.checked.constants} constants equal the model file's`,
  );
  if (r.absent.length > 0) lines.push(`not in the reference: tensor${r.absent.length === 1 ? '' : 's'} ${r.absent.join(', ')}`);
  if (r.ortLevels) lines.push(formatOrtLevels(r.ortLevels));
  return lines.join('\n');
}

function formatValidateReport(r: ValidateReport): string {
  const rows = r.cases.map((c) => {
    let detail = '';
    if (c.firstMismatch) {
      const m = c.firstMismatch;
      detail = `output ${m.output}[${m.index}]: expected ${m.expected}, got ${m.actual}`;
      const l = c.firstDifferingLayer;
      if (l) detail += `; first differing layer #${l.index} ${l.op} (tensor ${l.tensor} "${l.name}"[${l.element}]: expected ${l.expected}, got ${l.actual})`;
      else if (l === null) detail += '; every layer output matched when read alone';
    }
    return [c.input, c.match ? 'yes' : 'NO', c.count, detail];
  });
  // the whole mismatch, layer and tensor included, is in --json
  const tol = r.floatTolerance;
  const table = formatTable(['input', tol ? 'matches' : 'bit-exact', r.counter.kind, 'first mismatch'], rows, undefined, {
    shrink: [
      { column: 3, min: 24 },
      { column: 0, from: 'start', min: 16 },
    ],
  });
  const verdict =
    r.matched === r.total
      ? `all ${r.total} inputs ${tol ? 'match the host reference within the tolerance' : 'bit-exact with the host reference'} on ${r.board ?? r.target}`
      : `MISMATCH: ${r.total - r.matched} of ${r.total} inputs differ from the host reference on ${r.board ?? r.target}`;
  return `${table}\n\n${verdict}${tol ? `\n${toleranceLine(tol)}` : ''}`;
}
