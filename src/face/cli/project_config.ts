// SPDX-License-Identifier: Apache-2.0
/**
 * The project file, `tinyforge.json`: the model, target, board, inputs, budget, kernel preference,
 * weight placement, ONNX edge layout, project kind and output directory of one project, so that `tinyforge compile`, `run`, ... need no
 * flags. Every command that takes those options reads `./tinyforge.json` when it is there (or the
 * file of `--config FILE`); a flag on the command line wins over the file. Paths in the file are
 * relative to the file's own directory. `tinyforge init` writes one.
 *
 *   { "model": "model.tflite", "target": "cortex-m4", "board": "qemu-mps2-an386",
 *     "inputs": "samples/digit.bin", "budget": { "ram": "48K", "flash": "200K" },
 *     "prefer": "speed", "project": "arduino", "out": "out", "clock": "80MHz", "battery": "220mAh",
 *     "labels": "labels.txt" }
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { TinyforgeError } from '../../core/errors.ts';
import { listTargets, resolveTargetAndBoard } from '../../core/targets/targets.ts';
import { PROJECT_KINDS } from '../../lab/toolchain/project_layouts.ts';
import { arenaOption, byteSizeOption, nameOption, preferOption, weightsInRamOption } from './device-options.ts';
import type { WeightsInRamMode } from '../../lab/toolchain/fit.ts';
import type { ArenaOption } from '../../core/codegen/generate.ts';
import { clockOption } from '../../lab/estimate/clock.ts';
import { batteryOption } from '../../lab/estimate/energy.ts';
import type { Prefer } from '../../core/ops/op.ts';
import { type OnnxLayout, ONNX_LAYOUTS } from '../../core/model/onnx/edge_layout.ts';

export const CONFIG_FILE = 'tinyforge.json';

export interface ProjectConfig {
  /** the file as named (for messages) */
  file: string;
  /** paths resolved against the file's directory */
  model?: string;
  target?: string;
  /** passed on as `--board` would be, to the commands that take one */
  board?: string;
  inputs?: string;
  budget?: { ram?: number; flash?: number };
  prefer?: Prefer;
  /** compile's `--name` and `--arena` */
  name?: string;
  arena?: ArenaOption;
  project?: string;
  out?: string;
  /** with a real board: the clock its estimates are made for (Hz), as `--clock` */
  clock?: number;
  /** the battery the estimates count inferences on (mAh), as `--battery` */
  battery?: number;
  /** the class labels file (`--labels`): one label a line, or JSON */
  labels?: string;
  /** an ONNX model's inputs and outputs at the C API, as `--onnx-layout` */
  onnxLayout?: OnnxLayout;
  /** where the weight tables are read from on a board whose flash is slower than its RAM, as `--weights-in-ram` */
  weightsInRam?: WeightsInRamMode;
}

const KEYS = [
  'model',
  'target',
  'board',
  'inputs',
  'budget',
  'prefer',
  'name',
  'arena',
  'project',
  'out',
  'clock',
  'battery',
  'labels',
  'onnxLayout',
  'weightsInRam',
] as const;
const BUDGET_KEYS = ['ram', 'flash'] as const;

/**
 * The commands that read the project file, and the option each of its keys fills there (`inputs`
 * is `--input` where a command takes one input and `--inputs` where it takes many).
 */
const CONFIGURED: Record<
  string,
  Partial<
    Record<
      | 'target'
      | 'board'
      | 'inputs'
      | 'ram'
      | 'flash'
      | 'prefer'
      | 'name'
      | 'arena'
      | 'project'
      | 'out'
      | 'clock'
      | 'battery'
      | 'labels'
      | 'onnxLayout'
      | 'weightsInRam',
      string
    >
  >
> = {
  inspect: { target: 'target', board: 'board', prefer: 'prefer', onnxLayout: 'onnxLayout' },
  compile: {
    target: 'target',
    board: 'board',
    inputs: 'input',
    ram: 'maxRam',
    flash: 'maxFlash',
    prefer: 'prefer',
    name: 'name',
    arena: 'arena',
    project: 'project',
    out: 'output',
    labels: 'labels',
    onnxLayout: 'onnxLayout',
    weightsInRam: 'weightsInRam',
  },
  run: {
    target: 'target',
    board: 'board',
    inputs: 'input',
    ram: 'maxRam',
    flash: 'maxFlash',
    prefer: 'prefer',
    clock: 'clock',
    battery: 'battery',
    labels: 'labels',
    onnxLayout: 'onnxLayout',
    weightsInRam: 'weightsInRam',
  },
  profile: {
    target: 'target',
    board: 'board',
    inputs: 'input',
    ram: 'maxRam',
    flash: 'maxFlash',
    prefer: 'prefer',
    clock: 'clock',
    battery: 'battery',
    labels: 'labels',
    onnxLayout: 'onnxLayout',
    weightsInRam: 'weightsInRam',
  },
  validate: {
    target: 'target',
    board: 'board',
    inputs: 'inputs',
    ram: 'maxRam',
    flash: 'maxFlash',
    prefer: 'prefer',
    labels: 'labels',
    onnxLayout: 'onnxLayout',
    weightsInRam: 'weightsInRam',
  },
  flash: { target: 'target', board: 'board', ram: 'maxRam', flash: 'maxFlash', prefer: 'prefer', onnxLayout: 'onnxLayout', weightsInRam: 'weightsInRam' },
};

export const CONFIGURED_COMMANDS = Object.keys(CONFIGURED);

/** Reads and checks a project file; every problem is one line naming the file and the key. */
export function readProjectConfig(file: string): ProjectConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new TinyforgeError(`${file}: cannot read the project file`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new TinyforgeError(`${file}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  return checkProjectConfig(raw, file);
}

/** Checks a project file's contents (`file` names it in errors and anchors its relative paths). */
export function checkProjectConfig(raw: unknown, file: string): ProjectConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new TinyforgeError(`${file}: must hold one JSON object, such as {"model": "model.tflite"}`);
  const fields = raw as Record<string, unknown>;
  const fail = (key: string, why: string): never => {
    throw new TinyforgeError(`${file}: ${key}: ${why}`);
  };
  for (const key of Object.keys(fields)) {
    if (!(KEYS as readonly string[]).includes(key)) fail(key, `unknown key (known: ${KEYS.join(', ')})`);
  }
  const base = dirname(file);
  const string = (key: string, value: unknown): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') return fail(key, `must be a non-empty string, got ${JSON.stringify(value)}`);
    return value;
  };
  const path = (key: string): string | undefined => {
    const value = string(key, fields[key]);
    return value === undefined ? undefined : resolve(base, value);
  };
  const config: ProjectConfig = { file };
  config.model = path('model');
  if (config.model !== undefined && !existsSync(config.model)) fail('model', `no such file ${relative(process.cwd(), config.model) || config.model}`);
  config.inputs = path('inputs');
  if (config.inputs !== undefined && !existsSync(config.inputs))
    fail('inputs', `no such file or directory ${relative(process.cwd(), config.inputs) || config.inputs}`);
  config.out = path('out');
  config.labels = path('labels');
  if (config.labels !== undefined && !existsSync(config.labels)) fail('labels', `no such file ${relative(process.cwd(), config.labels) || config.labels}`);
  config.target = string('target', fields.target);
  if (config.target !== undefined && !listTargets().includes(config.target))
    fail('target', `unknown target '${config.target}' (known: ${listTargets().join(', ')})`);
  config.board = string('board', fields.board);
  // a board the file's target does not have fails here, naming the file, not at the next command
  if (config.board !== undefined) withKey('board', file, () => resolveTargetAndBoard(config.target, config.board));
  const prefer = string('prefer', fields.prefer);
  if (prefer !== undefined) config.prefer = withKey('prefer', file, () => preferOption(prefer));
  const onnxLayout = string('onnxLayout', fields.onnxLayout);
  if (onnxLayout !== undefined) {
    if (!(ONNX_LAYOUTS as readonly string[]).includes(onnxLayout)) fail('onnxLayout', `must be one of ${ONNX_LAYOUTS.join(', ')}, got '${onnxLayout}'`);
    config.onnxLayout = onnxLayout as OnnxLayout;
  }
  const weightsInRam = string('weightsInRam', fields.weightsInRam);
  if (weightsInRam !== undefined) config.weightsInRam = withKey('weightsInRam', file, () => weightsInRamOption(weightsInRam));
  const name = string('name', fields.name);
  if (name !== undefined) config.name = withKey('name', file, () => nameOption(name));
  const arena = string('arena', fields.arena);
  if (arena !== undefined) config.arena = withKey('arena', file, () => arenaOption(arena));
  config.project = string('project', fields.project);
  if (config.project !== undefined && !(PROJECT_KINDS as readonly string[]).includes(config.project))
    fail('project', `unknown project kind '${config.project}' (known: ${PROJECT_KINDS.join(', ')})`);
  // a number is Hz (clock) or mAh (battery); a string takes the flag's units ("80MHz", "220mAh")
  const measure = (key: 'clock' | 'battery', parse: (value: string) => number, example: string): number | undefined => {
    const value = fields[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number')
      return fail(key, `must be a number or a string such as ${example}, got ${JSON.stringify(value)}`);
    return withKey(key, file, () => parse(String(value)));
  };
  const clock = measure('clock', clockOption, '"80MHz"');
  if (clock !== undefined) config.clock = clock;
  const battery = measure('battery', batteryOption, '"220mAh"');
  if (battery !== undefined) config.battery = battery;
  if (fields.budget !== undefined) {
    const budget = fields.budget;
    if (typeof budget !== 'object' || budget === null || Array.isArray(budget))
      return fail('budget', 'must be an object such as {"ram": "48K", "flash": "200K"}');
    const entries = budget as Record<string, unknown>;
    config.budget = {};
    for (const [key, value] of Object.entries(entries)) {
      if (!(BUDGET_KEYS as readonly string[]).includes(key)) fail(`budget.${key}`, `unknown key (known: ${BUDGET_KEYS.join(', ')})`);
      if (typeof value !== 'string' && typeof value !== 'number')
        fail(`budget.${key}`, `must be a byte count (49152, "48K", "1M"), got ${JSON.stringify(value)}`);
      config.budget[key as 'ram' | 'flash'] = withKey(`budget.${key}`, file, () => byteSizeOption(`--max-${key}`)(String(value)));
    }
  }
  return config;
}

/** Runs a flag's parser on a file's value, its error re-worded to name the file and the key. */
function withKey<T>(key: string, file: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof TinyforgeError)) throw e;
    throw new TinyforgeError(`${file}: ${key}: ${e.message.replace(/^--[\w-]+ /, '')}`);
  }
}

/** A path the file gave, as the command line would give it: relative to the current directory. */
const shownPath = (path: string) => relative(process.cwd(), path) || '.';

/** Per command run, the command-line words equivalent to what the project file filled in. */
const filledFromFile = new WeakMap<Command, string[]>();

/**
 * The arguments a command was given on its command line plus those the project file filled in, as
 * command-line words: what a generated file's banner shows as the command that regenerates it.
 */
export function effectiveArgs(command: Command, argv: readonly string[]): string[] {
  return [...argv, ...(filledFromFile.get(command) ?? [])];
}

/**
 * Before a command runs: fills its model argument and options from the project file (`--config`'s, or
 * ./tinyforge.json when present) where the command line left them out. A flag given on the command
 * line always wins; a default of the command loses to the file.
 */
export function applyProjectConfig(command: Command, explicitFile: string | undefined): void {
  const options = CONFIGURED[command.name()];
  if (!options) {
    if (explicitFile !== undefined && command.name() !== 'init')
      throw new TinyforgeError(`--config: ${command.name()} reads no project file (${CONFIGURED_COMMANDS.join(', ')} do)`);
    return;
  }
  const file = explicitFile ?? (existsSync(CONFIG_FILE) ? CONFIG_FILE : undefined);
  const config = file === undefined ? undefined : readProjectConfig(file);
  const modelArgument = command.registeredArguments[0];
  const given = command.processedArgs[0] as unknown;
  // a command taking several models (compile, inspect) has [] for none
  if (modelArgument && (given === undefined || (Array.isArray(given) && given.length === 0))) {
    if (config?.model === undefined)
      throw new TinyforgeError(
        `give the ${modelArgument.variadic ? 'model' : modelArgument.name()} to ${command.name()}${config ? `, or "model" in ${config.file}` : ` (or write a ${CONFIG_FILE} with tinyforge init)`}`,
      );
    command.processedArgs[0] = modelArgument.variadic ? [config.model] : config.model;
    filledFromFile.set(command, [shownPath(config.model)]);
  }
  if (!config) return;
  const values: Record<string, unknown> = {
    target: config.target,
    board: config.board,
    inputs: config.inputs,
    ram: config.budget?.ram,
    flash: config.budget?.flash,
    prefer: config.prefer,
    name: config.name,
    arena: config.arena,
    project: config.project,
    out: config.out,
    clock: config.clock,
    battery: config.battery,
    labels: config.labels,
    onnxLayout: config.onnxLayout,
    weightsInRam: config.weightsInRam,
  };
  for (const [key, attribute] of Object.entries(options)) {
    const value = values[key];
    if (value === undefined) continue;
    // only options the command has (another command may take --board where this one takes none)
    if (!command.options.some((o) => o.attributeName() === attribute)) continue;
    if (command.getOptionValueSource(attribute) === 'cli') continue;
    // validate --reference DIR compares with a dump: the file's inputs are for validate --inputs
    if (attribute === 'inputs' && command.getOptionValueSource('reference') === 'cli') continue;
    if (attribute === 'input' && statSync(value as string).isDirectory())
      throw new TinyforgeError(`${config.file}: inputs: a directory, which validate --inputs takes; ${command.name()} takes one file: give --input FILE`);
    command.setOptionValueWithSource(attribute, value, 'config');
    const flag = command.options.find((o) => o.attributeName() === attribute)!.long!;
    filledFromFile.set(command, [
      ...(filledFromFile.get(command) ?? []),
      flag,
      typeof value === 'string' && isAbsolute(value) ? shownPath(value) : String(value),
    ]);
  }
}
