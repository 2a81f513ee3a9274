// SPDX-License-Identifier: Apache-2.0
import { basename } from 'node:path';
import type { ArenaOption } from '../../core/codegen/generate.ts';
import { wrapLines } from '../report/layout.ts';
import { Command } from 'commander';
import { compileFile, compileFiles, modelFileProvenance } from '../../core/compile.ts';
import { writeDirectoryAtomically } from '../../lab/output.ts';
import { letSignalsIn } from '../../lab/lifecycle.ts';
import { PROJECT_KINDS, projectFiles } from '../../lab/toolchain/project_layouts.ts';
import { readInputCases } from '../../lab/data/inputs.ts';
import { TinyforgeError } from '../../core/errors.ts';
import { effectiveArgs } from './project_config.ts';
import { addAlias } from './option-aliases.ts';
import { resolveTargetAndBoard, smallestPartRam } from '../../core/targets/targets.ts';
import {
  type FitEstimate,
  type WeightsInRamMode,
  checkFitOf,
  checkFits,
  constantBytes,
  estimateFitOf,
  externalRamOptions,
  weightsInRamChoice,
} from '../../lab/toolchain/fit.ts';
import type { WeightsInRamPlan } from '../../core/plan/weight_regions.ts';
import type { StagedWeightsPlan } from '../../core/plan/weight_staging.ts';
import { formatOnnxArithmetic, formatPlan, formatSharedArena, formatStorage } from '../report/inspect.ts';
import { planJson, sharedArenaJson } from '../report/json.ts';
import { commandLine, patchFlag } from '../../core/codegen/banner.ts';
import { formatBudget } from '../../core/plan/budget.ts';
import type { CompiledModel } from '../../core/compile.ts';
import { PREFER_HELP, arenaOption, byteSizeOption, nameListOption, patchOption, preferOption, weightsInRamOption } from './device-options.ts';
import { type ChoiceFlags, choiceOptions, choicesJson, compileChoicesOf } from './choice-options.ts';
import type { Prefer } from '../../core/ops/op.ts';
import { type PatchOption, formatPatch } from '../../core/plan/patch_policy.ts';
import { CLIENT_IN_OUTPUT, clientInOutput, generateClient, labelsFromModel, writeClientFile } from '../client/client.ts';
import { checkLabelCount, readClassLabels } from '../../lab/data/labels.ts';
import { type LoadOptions, loadGraph } from '../../core/model/load.ts';
import type { GeneratedFile } from '../../core/codegen/generate.ts';
import {
  CHANNELS_HELP,
  STRIDE_HELP,
  WINDOW_STRIDE_HELP,
  compilePipelineAction,
  isAudioInput,
  isSensorInput,
  positiveIntegerOption,
  refusePipelineFlags,
} from './pipeline.ts';
import { formatFastForms } from '../../core/plan/fast_forms.ts';
import { jsonLine } from '../report/json_document.ts';

/** The plan, and what fitting a budget moved. */
function summary(compiled: CompiledModel): string {
  const plan = formatPlan(compiled.graph, compiled.plan, compiled.prepared);
  const lines = [plan];
  if (compiled.patch) lines.push(formatPatch(compiled.patch));
  if (compiled.patchDeclined) lines.push(compiled.patchDeclined);
  if (compiled.fastFormsDeclined) lines.push(formatFastForms(compiled.fastFormsDeclined));
  if (compiled.budget) lines.push(formatBudget(compiled.budget));
  const storage = formatStorage(compiled.prepared);
  if (storage) lines.push(storage);
  const arithmetic = formatOnnxArithmetic(compiled.prepared);
  if (arithmetic) lines.push(arithmetic);
  if (compiled.weightsInRam) lines.push(formatWeightsInRam(compiled.weightsInRam));
  if (compiled.stagedWeights) lines.push(formatStagedWeights(compiled.stagedWeights));
  return lines.join('\n');
}

/** `weights in internal RAM: 3 layers' tables, 12,345 of 200,000 bytes left by the arena (#2 ...); ...` */
export function formatWeightsInRam(plan: WeightsInRamPlan): string {
  const n = (v: number) => v.toLocaleString('en-US');
  if (plan.layers.length === 0)
    return `weights in internal RAM: none (${n(plan.availableBytes)} bytes left by the arena; no table read more than once per inference fits)`;
  const layers = plan.layers.map((l) => `#${l.position} ${n(l.bytes)} bytes, ${l.readsPerByte.toFixed(1)} reads/byte`).join('; ');
  return (
    `weights in internal RAM: ${plan.layers.length === 1 ? "1 layer's" : `${plan.layers.length} layers'`} tables, ${n(plan.bytes)} of ${n(plan.availableBytes)} bytes the arena leaves ` +
    `(${layers}); ~${n(plan.flashReadsSaved)} table bytes per inference read from RAM instead of flash`
  );
}

/** The staged layers as `--json` gives them: each layer's position, bytes and reads per byte (not its tables' C names). */
export function stagedWeightsJson(plan: StagedWeightsPlan) {
  return {
    layers: plan.layers.map((l) => ({ position: l.position, bytes: l.bytes, readsPerByte: Number(l.readsPerByte.toFixed(2)) })),
    bytesCopied: plan.bytesCopied,
    arenaBefore: plan.arenaBefore,
    arenaAfter: plan.arenaAfter,
  };
}

/** `weights staged in the arena: 12 layers' tables, 98,765 bytes copied from flash per inference; arena 28,672 -> 28,976 bytes` */
export function formatStagedWeights(plan: StagedWeightsPlan): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const count = plan.layers.length === 1 ? "1 layer's" : `${plan.layers.length} layers'`;
  return (
    `weights staged in the arena: ${count} tables (${plan.layers.map((l) => `#${l.position}`).join(' ')}), each copied from flash at its layer's start, ` +
    `${n(plan.bytesCopied)} bytes per inference; arena ${n(plan.arenaBefore)} -> ${n(plan.arenaAfter)} bytes`
  );
}

/** `fits nucleo-l4r5zi (STM32L4R5ZIT6): flash >= 12,345 of 2,097,152 bytes, RAM >= 6,789 of 655,360` */
export function fitSummary(boardName: string, chip: string | undefined, fit: FitEstimate): string {
  const n = (v: number) => v.toLocaleString('en-US');
  return (
    `fits ${boardName}${chip ? ` (${chip})` : ''}: flash needs at least ${n(fit.flash.total)} of ${n(fit.flash.available)} bytes, ` +
    `RAM at least ${n(fit.ram.total)} of ${n(fit.ram.available)} (arena + ${fit.ram.weightsInRam ? 'weights in RAM + ' : ''}stack + harness; the linker has the last word)`
  );
}

/** A labels file's labels, checked against the model's first output. */
function labelsFor(modelPath: string, file: string, load: LoadOptions): string[] {
  const labels = readClassLabels(file);
  checkLabelCount(loadGraph(modelPath, load), labels, file);
  return labels;
}

/** compile's options as commander gives them (tinyforge.json's values included). */
type CompileCliOptions = {
  target?: string;
  board?: string;
  output?: string;
  project?: string;
  input?: string;
  json?: boolean;
  force?: boolean;
  maxRam?: number;
  maxFlash?: number;
  weightsInRam?: WeightsInRamMode;
  patch?: PatchOption;
  prefer?: Prefer;
  arena?: ArenaOption;
  name?: string;
  client?: string | true;
  labels?: string;
  stride?: number;
  windowStride?: number;
  channels?: number;
  pipeline?: boolean;
} & ChoiceFlags;

export function compileCommand(): Command {
  const command: Command = new Command('compile')
    .description('compile an int8 model to C sources: <name>.h (API), <name>.c (layers, arena), <name>_weights.c')
    .argument(
      '[models...]',
      'model file (.tflite or .onnx); several: one library of them all, sharing one arena (they run one at a time); a front-end and a model with --pipeline or a stream flag (--stride, --window-stride, --channels, --input clip.wav): a pipeline (docs/pipeline.md); default: "model" of tinyforge.json',
    );
  addTargetOptions(command);
  addFitOptions(command);
  addCodeOptions(command);
  addStreamOptions(command);
  command.option('--json', 'print one JSON object on stdout: what was written, for which target and board, and the memory plan');
  // --out, as the project file's "out": another spelling of -o/--output
  addAlias(command, '--out', '--output');
  choiceOptions(command).action((models: string[] | string, opts: CompileCliOptions) => compileAction(command, models, opts));
  return command;
}

/** Where the C goes and what it is for: -t, -b, -o, --force. */
function addTargetOptions(command: Command): void {
  command
    .option('-t, --target <target>', "target the C is generated for (default: the --board's, else cortex-m4)")
    .option('-b, --board <board>', "a board (`tinyforge boards`): implies its target, and the model must fit its chip's flash and RAM")
    .option('-o, --output <dir>', 'output directory: new, empty, or an earlier tinyforge output (replaced atomically)')
    .option('--force', 'write into a non-empty directory tinyforge did not create (its other files are kept)');
}

/** How the model is fitted to memory and speed: --max-ram, --max-flash, --patch, --prefer, --weights-in-ram. */
function addFitOptions(command: Command): void {
  command
    .option(
      '--max-ram <bytes>',
      'fit the arena (activations + scratch) in this many bytes, moving layers to slower, more frugal kernels if needed (49152, 48K)',
      byteSizeOption('--max-ram'),
    )
    .option('--max-flash <bytes>', "fit the model's constant tables (<name>_weights.c) in this many bytes, the same way", byteSizeOption('--max-flash'))
    .option(
      '--patch <mode>',
      'run an initial convolution chain in row bands so its large tensors never exist whole: auto (the smallest arena), off, or START:LENGTH:ROWS[:add][:cache]; default: a stage when it saves >= 10% of the arena for <= 5% more estimated instructions, where whole tensors take >= 5% of the RAM of the smallest real part of the target (none under --prefer speed; auto when whole tensors miss --max-ram)',
      patchOption,
    )
    .option('--prefer <what>', PREFER_HELP, preferOption)
    .option(
      '--weights-in-ram <mode>',
      "with a --board whose flash is slower than its internal RAM (the ESP32s, the NUCLEO-L4R5ZI): staged copies each layer's tables, where it reads them many times, from flash into its scratch in the arena at its start (default where the board's flash path is modelled: the NUCLEO-L4R5ZI); auto keeps the most-read layers' tables in the internal RAM the arena leaves (DRAM_ATTR under ESP-IDF, a .data section elsewhere); none keeps them all in flash (default elsewhere)",
      weightsInRamOption,
    );
}

/** What the C is named, owns and ships with: --name, --arena, --project, -i, --client, --labels. */
function addCodeOptions(command: Command): void {
  command
    .option(
      '--name <name>',
      "the model's name in the C: files <name>.h, <name>.c, ..., symbols tf_<name>_* (default: the model file's name); several models: a comma list in model order",
      nameListOption,
    )
    .option(
      '--arena <owner>',
      "static: the arena is an array in <name>.c (default); caller: tf_<name>_init(arena, bytes) takes the application's buffer",
      arenaOption,
    )
    .option(
      '--project <kind>',
      `lay the sources out as a project to open and build unchanged: ${PROJECT_KINDS.join(', ')} (esp-idf: esp32*, pico-sdk: rp2040; docs/exports.md)`,
    )
    .option('-i, --input <file>', 'with --project: the sample input the starter app runs (its first inference; raw bytes or .npy); default: the zero point')
    .option(
      '--client [file]',
      `also write a typed TypeScript host client for the model, driving a flashed or emulated board through the tinyforge package (default file: ${CLIENT_IN_OUTPUT} in the output directory)`,
    )
    .option(
      '--labels <file>',
      "class labels (one a line, or a JSON array): a labels table in the model header, and the client's (default there: the labels the model file carries, if any); a pipeline's --project: the starter app's, a file or a,b,c",
    );
}

/** A stream pipeline's framing: --stride, --window-stride, --channels, --pipeline. */
function addStreamOptions(command: Command): void {
  command
    .option('--stride <n>', STRIDE_HELP, positiveIntegerOption('--stride'))
    .option('--window-stride <frames>', WINDOW_STRIDE_HELP, positiveIntegerOption('--window-stride'))
    .option('--channels <n>', CHANNELS_HELP, positiveIntegerOption('--channels'))
    .option('--pipeline', 'a front-end and a model (or one sensor model) as a stream pipeline with the default framing: tf_pipeline.h/.c (docs/pipeline.md)');
}

/** A compile's resolved inputs, shared by the one-model and the library paths. */
interface CompileRun {
  command: Command;
  opts: CompileCliOptions;
  output: string;
  target: ReturnType<typeof resolveTargetAndBoard>['target'];
  board: ReturnType<typeof resolveTargetAndBoard>['board'];
  choices: ReturnType<typeof compileChoicesOf>;
  options: ReturnType<typeof compileOptionsOf>;
}

/** compile's action: a stream pipeline, a library of several models sharing one arena, or one model. */
async function compileAction(command: Command, models: string[] | string, opts: CompileCliOptions): Promise<void> {
  // tinyforge.json's "model" comes as one path
  const modelPaths = typeof models === 'string' ? [models] : models;
  const modelPath = modelPaths[0]!;
  const output = opts.output;
  if (output === undefined) throw new TinyforgeError('give the output directory: -o DIR (or "out" in tinyforge.json)');
  const typedInput = command.getOptionValueSource('input') === 'cli' ? opts.input : undefined;
  // --pipeline, a stream flag, or a stream as the starter app's input: a pipeline (a front-end and a model, or one sensor model)
  const streamFlag = opts.pipeline === true || opts.stride !== undefined || opts.windowStride !== undefined || opts.channels !== undefined;
  if (streamFlag || isSensorInput(typedInput) || (modelPaths.length === 2 && isAudioInput(typedInput))) {
    compilePipelineFromCli(command, modelPaths, opts, output);
    return;
  }
  for (const flag of ['stride', 'windowStride'] as const)
    if (opts[flag] !== undefined)
      throw new TinyforgeError(`--${flag === 'stride' ? 'stride' : 'window-stride'} is for a pipeline: give a front-end and a model, or --channels`);
  // tinyforge.json's inputs serve run and validate too: only a --input typed here needs a project
  if (command.getOptionValueSource('input') === 'cli' && opts.project === undefined)
    throw new TinyforgeError("--input is the starter app's sample: it goes with --project");
  const { target, board } = resolveTargetAndBoard(opts.target, opts.board);
  // the CLI reads the labels file (the core reads none) and says which file does not fit the output
  const labels = opts.labels !== undefined && modelPaths.length === 1 ? labelsFor(modelPath, opts.labels, compileChoicesOf(opts)) : undefined;
  const budget = opts.maxRam !== undefined || opts.maxFlash !== undefined ? { ram: opts.maxRam, flash: opts.maxFlash } : undefined;
  // flags first, then the TINYFORGE_* variables; the banner records any choice off its default
  const choices = compileChoicesOf(opts);
  const options = compileOptionsOf(command, opts, { target, board, budget, choices, labels });
  const run: CompileRun = { command, opts, output, target, board, choices, options };
  const names = opts.name?.split(',');
  if (modelPaths.length > 1 || (names && names.length > 1)) await compileLibraryAction(run, modelPaths, names);
  else await compileModelAction(run, modelPath, labels);
}

/** A pipeline's compile: the flags a pipeline takes, then tf_pipeline.h/.c and its models' C. */
function compilePipelineFromCli(command: Command, modelPaths: string[], opts: CompileCliOptions, output: string): void {
  const fromFile = (option: string) => command.getOptionValueSource(option) === 'config';
  const modelPath = modelPaths[0]!;
  const typedInput = command.getOptionValueSource('input') === 'cli' ? opts.input : undefined;
  if (modelPaths.length > 2) throw new TinyforgeError(`a pipeline is a front-end and a model: ${modelPaths.length} models given`);
  const pipelineModel = modelPaths.length === 2 ? modelPaths[1] : undefined;
  refusePipelineFlags({
    '--max-ram': opts.maxRam,
    '--max-flash': opts.maxFlash,
    '--patch': opts.patch,
    '--prefer': opts.prefer,
    '--name': opts.name,
    '--arena': opts.arena,
    '--client': opts.client,
  });
  const { target } = resolveTargetAndBoard(opts.target, opts.board);
  const line = commandLine(effectiveArgs(command, process.argv.slice(2)));
  const input = typedInput;
  // tinyforge.json's labels name a single model's classes: a pipeline takes them for its --project only
  const labels = fromFile('labels') && opts.project === undefined ? undefined : opts.labels;
  compilePipelineAction(pipelineModel !== undefined ? modelPath : null, pipelineModel ?? modelPath, target, { ...opts, input, output, labels }, line);
}

/** The compile's options for the core: the target, the budget and placement choices, the banner's provenance. */
function compileOptionsOf(
  command: Command,
  opts: CompileCliOptions,
  resolved: ReturnType<typeof resolveTargetAndBoard> & {
    budget: { ram?: number; flash?: number } | undefined;
    choices: ReturnType<typeof compileChoicesOf>;
    labels: string[] | undefined;
  },
) {
  const { target, board, budget, choices, labels } = resolved;
  // the banner of every generated file: the target and the command line that made it
  return {
    isa: target.isa,
    partRam: smallestPartRam(target),
    budget,
    // a named board with PSRAM: --max-ram is its internal RAM's, the arena's coldest buffers may go out
    ...(opts.board !== undefined ? externalRamOptions(target, board) : {}),
    ...weightsInRamChoice(opts.weightsInRam, target, opts.board !== undefined ? board : undefined),
    patch: opts.patch,
    ...choices,
    arena: opts.arena,
    name: opts.name,
    ...(labels ? { labels } : {}),
    provenance: { target: target.name, command: commandLine(effectiveArgs(command, process.argv.slice(2))) },
  };
}

/** Several models compiled into one library sharing one arena. */
async function compileLibraryAction(run: CompileRun, modelPaths: string[], names: string[] | undefined): Promise<void> {
  const { command, opts, output, target, board, choices, options } = run;
  const fromFile = (option: string) => command.getOptionValueSource(option) === 'config';
  for (const [flag, given] of [
    ['--project', opts.project],
    ['--client', opts.client],
    ['--labels', fromFile('labels') ? undefined : opts.labels],
    ['--input', command.getOptionValueSource('input') === 'cli' ? opts.input : undefined],
  ] as const)
    if (given !== undefined) throw new TinyforgeError(`${flag} is for one model: compile several models without it`);
  const library = compileFiles(modelPaths, { ...options, name: undefined }, names);
  await letSignalsIn();
  const sources = library.models.map((m) => m.source);
  const fit = checkFitOf(
    estimateFitOf(
      { arena: library.shared.arenaBytes, weights: library.models.reduce((n, m) => n + constantBytes(m), 0) },
      target,
      opts.board !== undefined ? board : undefined,
    ),
    sources.join(' + '),
    target,
    opts.board !== undefined ? board : undefined,
  );
  const outDir = writeDirectoryAtomically(output, library.files, { force: opts.force });
  const modelNames = library.models.map((m) => m.graph.name);
  if (opts.json) {
    const json = {
      outDir,
      target: target.name,
      board: opts.board !== undefined && board ? board.name : null,
      project: null,
      files: library.files.map((f) => f.name),
      client: null,
      fit: fit ?? null,
      choices: {
        ...choicesJson(choices),
        patch: opts.patch !== undefined ? patchFlag(opts.patch) : null,
        arena: opts.arena ?? 'static',
        name: null,
        names: modelNames,
      },
      models: library.models.map((m) => ({
        name: m.graph.name,
        source: m.source,
        prefix: m.generated.prefix,
        files: Object.values(m.generated.fileNames),
        memory: planJson(m.plan),
      })),
      sharedArena: sharedArenaJson(modelNames, library.shared),
    };
    process.stdout.write(jsonLine('compile', json));
    return;
  }
  const fitLine = fit && opts.board !== undefined && board ? `\n${fitSummary(board.name, board.hardware?.chip, fit)}` : '';
  const named = opts.board !== undefined && board ? ` (${board.name})` : '';
  // what each model's own plan chose (row bands, a budget's moves), as a single-model compile says it
  const choicesMade = library.models.flatMap((m) =>
    [m.patch ? formatPatch(m.patch) : undefined, m.patchDeclined, m.budget ? formatBudget(m.budget) : undefined]
      .filter((line): line is string => line !== undefined)
      .map((line) => `${m.source}: ${line}\n`),
  );
  process.stdout.write(
    `${wrapLines(`${choicesMade.join('')}${formatSharedArena(modelNames, library.shared)}${fitLine}\n\nwrote ${outDir} for ${target.name}${named}: ${library.files.map((f) => f.name).join(', ')}`)}\n`,
  );
}

/** One model compiled: its C (or a project around it), a host client if asked, and what was written. */
async function compileModelAction(run: CompileRun, modelPath: string, labels: string[] | undefined): Promise<void> {
  const { opts, output, target, board, choices, options } = run;
  const compiled = compileFile(modelPath, options);
  // a Ctrl-C during the (synchronous) compile stops here, before anything is written
  await letSignalsIn();
  // the model must fit the target (and a named board's chip): refused before anything is written, saying by how much
  const fit = checkFits(compiled, basename(modelPath), target, opts.board !== undefined ? board : undefined);
  const fitLine = fit && opts.board !== undefined && board ? `\n${fitSummary(board.name, board.hardware?.chip, fit)}` : '';
  const sample = opts.input !== undefined ? { sample: readInputCases(compiled.graph, opts.input)[0], sampleSource: basename(opts.input) } : {};
  const files: GeneratedFile[] = opts.project !== undefined ? projectFiles(opts.project, compiled, target, sample) : [...compiled.generated.files];
  let clientNote = '';
  let clientFile: string | null = null;
  if (opts.client !== undefined) {
    const text = generateClient(compiled.graph, modelPath, {
      labels: labels ?? labelsFromModel(modelPath),
      provenance: { ...modelFileProvenance(modelPath), ...options.provenance },
    });
    const inOutput = opts.client === true ? CLIENT_IN_OUTPUT : clientInOutput(opts.client, output);
    if (inOutput !== undefined) {
      // one of the output's files: written with them, listed in its marker
      files.push({ name: inOutput, text });
      clientFile = inOutput;
    } else if (opts.client !== true) {
      writeClientFile(opts.client, text, opts.force);
      clientNote = `\nwrote ${opts.client}: typed host client`;
      clientFile = opts.client;
    }
  }
  const outDir = writeDirectoryAtomically(output, files, { force: opts.force });
  if (opts.json) {
    const json = {
      outDir,
      target: target.name,
      board: opts.board !== undefined && board ? board.name : null,
      project: opts.project ?? null,
      files: files.map((f) => f.name),
      client: clientFile,
      fit: fit ?? null,
      choices: {
        ...choicesJson(choices),
        patch: opts.patch !== undefined ? patchFlag(opts.patch) : null,
        arena: opts.arena ?? 'static',
        name: compiled.graph.name,
      },
      memory: planJson(compiled.plan, compiled.prepared),
      ...(compiled.weightsInRam ? { weightsInRam: compiled.weightsInRam } : {}),
      ...(compiled.stagedWeights ? { stagedWeights: stagedWeightsJson(compiled.stagedWeights) } : {}),
    };
    process.stdout.write(jsonLine('compile', json));
    return;
  }
  const named = opts.board !== undefined && board ? ` (${board.name})` : '';
  const what =
    opts.project !== undefined ? `: ${opts.project} project for ${target.name}` : ` for ${target.name}${named}: ${files.map((f) => f.name).join(', ')}`;
  process.stdout.write(`${wrapLines(`${summary(compiled)}${fitLine}\n\nwrote ${outDir}${what}${clientNote}`)}\n`);
}
