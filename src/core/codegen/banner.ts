// SPDX-License-Identifier: Apache-2.0
/**
 * The banner at the top of every generated file: which tool and version made it, for which target,
 * from which model file (name and sha256 of its bytes) and by which command, so a file found in a
 * firmware tree says how to make it again. Deterministic: the same model and flags give the same
 * bytes on any machine (no date; every path in the command line shown by its last component, so
 * neither the working directory nor where the model and the output live shows through).
 */
import type { PatchOption } from '../plan/patch_policy.ts';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { KernelChoices, KernelIsa, Prefer } from '../ops/op.ts';
import { cCommentText, cmakeCommentText } from './c_text.ts';

export const TOOL_NAME = 'tinyforge';

/** tinyforge's version, from its package.json. */
export const TOOL_VERSION: string = (JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../package.json'), 'utf8')) as { version: string }).version;

/** What a compile was asked for, as the banner tells it. */
export interface Provenance {
  /** the target's name (`--target`); absent: said from the kernel ISA */
  target?: string;
  /** the model file's name as given (its base name is shown) */
  modelFile?: string;
  /** sha256 of the model file's bytes, hex */
  modelSha256?: string;
  /** the command that made the sources, e.g. `tinyforge compile m.tflite -t cortex-m4 -o out` */
  command?: string;
  /** the choices of the compile that differ from the defaults, as compileChoices says them; absent: none */
  choices?: string;
}

/**
 * The compile's choices that differ from the defaults, as the command-line flags that make them
 * (`--prefer size, --sparse-kernels force, --no-dead-neurons`), so a file says how it was made even
 * when the choices came from the TINYFORGE_* variables rather than the command line; undefined when
 * every choice is the default.
 */
export function compileChoices(options: {
  prefer?: Prefer;
  kernels?: KernelChoices;
  deadNeurons?: boolean;
  patch?: PatchOption;
  arena?: string;
  name?: string;
  onnxRequant?: 'exact' | 'fixed';
  onnxLayout?: 'channels-last' | 'as-exported';
  bind?: Readonly<Record<string, string>>;
  weightsInRam?: unknown;
}): string | undefined {
  const k = options.kernels ?? {};
  const flags = [
    ...(options.prefer ? [`--prefer ${options.prefer}`] : []),
    ...(k.sparse && k.sparse !== 'auto' ? [`--sparse-kernels ${k.sparse}`] : []),
    ...(k.sparseForm ? [`--sparse-form ${k.sparseForm}`] : []),
    ...(k.entropy === false ? ['--no-entropy'] : []),
    ...(k.palette === false ? ['--no-palette-kernels'] : []),
    ...(k.int4 === false ? ['--no-int4-kernels'] : []),
    ...(options.deadNeurons === false ? ['--no-dead-neurons'] : []),
    ...(options.onnxRequant === 'fixed' ? ['--onnx-requant fixed'] : []),
    ...(options.onnxLayout === 'as-exported' ? ['--onnx-layout as-exported'] : []),
    ...Object.entries(options.bind ?? {}).map(([name, file]) => `--bind ${name}=${basename(file)}`),
    ...(options.patch !== undefined ? [`--patch ${patchFlag(options.patch)}`] : []),
    ...(options.arena === 'caller' ? ['--arena caller'] : []),
    ...(options.name !== undefined ? [`--name ${options.name}`] : []),
    ...(options.weightsInRam !== undefined ? ['--weights-in-ram auto'] : []),
  ];
  return flags.length > 0 ? flags.join(', ') : undefined;
}

/** `--patch`'s own spelling of a patch option: `auto`, `off`, `default` or `START:LENGTH:ROWS[:add][:cache]`. */
export function patchFlag(p: PatchOption): string {
  return typeof p === 'string' ? p : `${p.start}:${p.length}:${p.tileRows}${p.add ? ':add' : ''}${p.cache ? ':cache' : ''}`;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** One argument of a command line as a POSIX shell would need it quoted. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * A command-line word with any path in it cut to its last component: `/home/me/m.tflite` and
 * `../m.tflite` are `m.tflite`, `-o /tmp/build/out/` is `-o out`, `--input=data/x.npy` is
 * `--input=x.npy`, `x_scale=d/in.pb` is `x_scale=in.pb`. A word with no path separator is kept.
 */
export function portableArg(arg: string): string {
  // `--input=data/x.npy`, and `--bind`'s `NAME=dir/file.pb`: the part before the `=` holds no path
  const eq = arg.indexOf('=');
  if (eq > 0 && !/[/\\]/.test(arg.slice(0, eq))) return `${arg.slice(0, eq + 1)}${portableArg(arg.slice(eq + 1))}`;
  if (!/[/\\]/.test(arg)) return arg;
  const parts = arg.split(/[/\\]+/).filter((p) => p !== '' && p !== '.');
  return parts.at(-1) ?? '.';
}

/**
 * `tinyforge <args>` for the arguments after the program (process.argv.slice(2) of the CLI), paths cut
 * to their last component (portableArg): the same model and flags give the same banner anywhere.
 */
export function commandLine(args: readonly string[]): string {
  return [TOOL_NAME, ...args.map((a) => shellQuote(portableArg(a)))].join(' ');
}

function kernelsOf(isa: KernelIsa | undefined): string {
  if (!isa) return 'portable C kernels';
  if (isa.armv6m) return 'Armv6-M (Cortex-M0+) kernels';
  return isa.mve ? 'Arm MVE (Helium) and DSP-extension kernels' : isa.dsp ? 'Arm DSP-extension kernels' : 'portable C kernels';
}

/** The banner's lines, without comment markers: model strings still raw (escaped by the renderers). */
export function bannerLines(provenance: Provenance, isa: KernelIsa | undefined, source: string): { label: string; text: string }[] {
  const target = provenance.target ? `${provenance.target} (${kernelsOf(isa)})` : `none given (${kernelsOf(isa)})`;
  const file = provenance.modelFile ?? source;
  const model = provenance.modelSha256 ? `${file}, sha256 ${provenance.modelSha256}` : `${file} (compiled from memory: no file to hash)`;
  const command = provenance.command ?? 'none: compiled through the tinyforge library API (compileGraph)';
  return [
    { label: 'target', text: target },
    { label: 'model', text: model },
    { label: 'command', text: command },
    ...(provenance.choices ? [{ label: 'choices', text: provenance.choices }] : []),
  ];
}

export interface Banners {
  /** a C block comment, ending in a newline */
  c: string;
  /** `#` lines for CMake, ending in a newline */
  cmake: string;
}

/**
 * The banner of one generated file. `spdx` is the licence of what the file holds (absent: none
 * claimed, for files holding the model's own data), `what` says what the file is.
 */
export function renderBanner(lines: { label: string; text: string }[], what: string, spdx: string | undefined): Banners {
  const head =
    lines.length > 0
      ? `Generated by ${TOOL_NAME} ${TOOL_VERSION}: do not edit, regenerate with the command below.`
      : `Written by ${TOOL_NAME} ${TOOL_VERSION}: do not edit.`;
  const width = Math.max(...lines.map((l) => l.label.length)) + 1;
  const row = (l: { label: string; text: string }) => `${`${l.label}:`.padEnd(width)} ${l.text}`;
  const c = [
    ...(spdx ? [`SPDX-License-Identifier: ${spdx}`] : []),
    head,
    ...lines.map((l) => `  ${row({ label: l.label, text: cCommentText(l.text) })}`),
    ...what.split('\n'),
  ];
  const cmake = [
    ...(spdx ? [`SPDX-License-Identifier: ${spdx}`] : []),
    head,
    ...lines.map((l) => `  ${row({ label: l.label, text: cmakeCommentText(l.text) })}`),
    ...what.split('\n'),
  ];
  return {
    c: `/* ${c.join('\n * ')}\n */\n`,
    cmake: `${cmake.map((l) => `# ${l}`.trimEnd()).join('\n')}\n`,
  };
}
