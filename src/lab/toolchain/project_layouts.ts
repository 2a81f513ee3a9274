// SPDX-License-Identifier: Apache-2.0
/**
 * The generated model as a project the user opens and builds unchanged with their own tools
 * (`compile --project <kind>`; docs/exports.md says how to build each and what the tests check):
 *
 * - `cmake`: the plain CMake static library (`add_subdirectory` it), with a toolchain file for the
 *   target's cross compiler.
 * - `make`: a Makefile building `lib<prefix>.a` with the target's compiler and core flags.
 * - `arduino`: an Arduino library (`library.properties`, `src/`, an example sketch).
 * - `platformio`: a PlatformIO library (`library.json`, `include/`, `src/`, an example project).
 * - `zephyr`: a Zephyr module (`zephyr/module.yml`, `Kconfig`, `CMakeLists.txt`, a sample).
 * - `esp-idf`: an ESP-IDF project: the model as the component `components/<prefix>/`, a starter app
 *   in `main/`, and tinyforge's device harness as a second project in `harness/` (what `profile
 *   --port` talks to).
 * - `pico-sdk`: the model as a pico-sdk INTERFACE library, with a starter app in `example/`.
 *
 * Every starter app runs the model once on a sample input (the `--input` file's first, else the
 * zero point) and prints the top class of output 0 beside the one tinyforge's reference kernels give.
 *
 * Templates live in templates/exports, and for the ESP-IDF harness and the pico-sdk library in
 * firmware/esp32/idf and firmware/rp2040/pico-sdk. A pipeline's projects (src/lab/run/pipeline_project.ts)
 * reuse the library parts through libraryView and the *Layout functions.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CompiledModel } from '../../core/compile.ts';
import type { GeneratedFile } from '../../core/codegen/generate.ts';
import { DTYPE_C } from '../../core/ir/graph.ts';
import { interpret } from '../../core/ops/interpreter.ts';
import { cArrayBody, renderTemplateFile } from '../../core/ops/common/render.ts';
import { outputValues } from '../data/bytes.ts';
import { type InputCase, zeroPointCase } from '../data/inputs.ts';
import { TinyforgeError } from '../../core/errors.ts';
import { FIRMWARE_DIR, type TargetDescriptor } from '../../core/targets/targets.ts';
import { isCompiledSource } from './toolchain.ts';

const IDF_DIR = join(FIRMWARE_DIR, 'esp32', 'idf');
const PICO_DIR = join(FIRMWARE_DIR, 'rp2040', 'pico-sdk');
const EXPORTS_DIR = resolve(import.meta.dirname, '../../../templates/exports');

export const PROJECT_KINDS = ['cmake', 'make', 'arduino', 'platformio', 'zephyr', 'esp-idf', 'pico-sdk'] as const;
export type ProjectKind = (typeof PROJECT_KINDS)[number];

/** The version every export's manifest gives the library: the model has none of its own. */
const LIBRARY_VERSION = '1.0.0';

/** ESP-IDF's name of each ESP target (`idf.py set-target`) and the chip's marketing name. */
const IDF_TARGETS: Record<string, { idfTarget: string; chipName: string; clockHz: number }> = {
  esp32: { idfTarget: 'esp32', chipName: 'ESP32', clockHz: 240_000_000 },
  esp32s3: { idfTarget: 'esp32s3', chipName: 'ESP32-S3', clockHz: 240_000_000 },
  esp32c3: { idfTarget: 'esp32c3', chipName: 'ESP32-C3', clockHz: 160_000_000 },
};

/** Arduino cores (`architectures`) whose boards have the core the kernels were chosen for. */
const ARDUINO_ARCHITECTURES: Record<string, string> = {
  host: '*',
  'cortex-m0': 'samd',
  'cortex-m3': 'sam,stm32',
  'cortex-m4': 'mbed_nano,renesas_uno,stm32',
  'cortex-m7': 'mbed_portenta,mbed_giga,stm32',
  'cortex-m33': 'renesas_portenta,stm32',
  rp2040: 'rp2040,mbed_rp2040',
  esp32: 'esp32',
  esp32s3: 'esp32',
  esp32c3: 'esp32',
};

/** PlatformIO platforms with the target's core, and one board of them for the example project. */
const PLATFORMIO_BOARDS: Record<string, { platforms: string[]; env: string; lines: string[] }> = {
  host: { platforms: ['native'], env: 'native', lines: ['platform = native'] },
  'cortex-m0': { platforms: ['ststm32', 'atmelsam'], env: 'nucleo_f030r8', lines: ['platform = ststm32', 'board = nucleo_f030r8', 'framework = arduino'] },
  'cortex-m3': { platforms: ['ststm32', 'atmelsam'], env: 'bluepill_f103c8', lines: ['platform = ststm32', 'board = bluepill_f103c8', 'framework = arduino'] },
  'cortex-m4': {
    platforms: ['ststm32', 'nordicnrf52', 'renesas-ra'],
    env: 'nucleo_f446re',
    lines: ['platform = ststm32', 'board = nucleo_f446re', 'framework = arduino'],
  },
  'cortex-m7': { platforms: ['ststm32', 'teensy'], env: 'nucleo_f767zi', lines: ['platform = ststm32', 'board = nucleo_f767zi', 'framework = arduino'] },
  'cortex-m33': {
    platforms: ['ststm32', 'nordicnrf53'],
    env: 'nucleo_l552ze_q',
    lines: ['platform = ststm32', 'board = nucleo_l552ze_q', 'framework = arduino'],
  },
  rp2040: { platforms: ['raspberrypi'], env: 'pico', lines: ['platform = raspberrypi', 'board = pico', 'framework = arduino'] },
  esp32: { platforms: ['espressif32'], env: 'esp32dev', lines: ['platform = espressif32', 'board = esp32dev', 'framework = arduino'] },
  esp32s3: {
    platforms: ['espressif32'],
    env: 'esp32-s3-devkitc-1',
    lines: ['platform = espressif32', 'board = esp32-s3-devkitc-1', 'framework = arduino'],
  },
  esp32c3: {
    platforms: ['espressif32'],
    env: 'esp32-c3-devkitm-1',
    lines: ['platform = espressif32', 'board = esp32-c3-devkitm-1', 'framework = arduino'],
  },
};

export interface ProjectOptions {
  /** the starter apps' sample input (one inference: each input tensor's bytes); default: the zero point */
  sample?: InputCase;
  /** where the sample came from, for the header's comment */
  sampleSource?: string;
}

/** What the layouts' templates say of the library they lay out. */
export interface LibraryFacts {
  /** 'model', or 'pipeline': what the banners call it */
  kind: string;
  name: string;
  prefix: string;
  PREFIX: string;
  /** the API header */
  header: string;
  /** the files to compile */
  sources: string[];
  arenaBytes: number;
  macs: number;
  weightBytes: number;
  inputs: { zeroPoint: number }[];
  /** the API's functions, for the build files' comments */
  api: string;
}

function modelView(compiled: CompiledModel): LibraryFacts {
  const { graph, plan, generated, prepared } = compiled;
  return {
    kind: 'model',
    name: graph.name,
    prefix: generated.prefix,
    PREFIX: generated.prefix.toUpperCase(),
    /** the model's API header, <name>.h */
    header: generated.fileNames.header,
    sources: generated.files.filter((f) => isCompiledSource(f.name)).map((f) => f.name),
    arenaBytes: plan.arenaBytes,
    macs: prepared.layers.reduce((n, l) => n + l.macs, 0),
    weightBytes: graph.tensors.filter((t) => t.data).reduce((n, t) => n + t.data!.length, 0),
    inputs: graph.inputs.map((i) => ({ zeroPoint: graph.tensors[i]!.quant?.zeroPoint[0] ?? 0 })),
    api: `${generated.prefix}_init, ${generated.prefix}_input, ${generated.prefix}_invoke, ${generated.prefix}_output`,
  };
}

/** A hash of the generated model's files: the build id the harness of the ESP-IDF project reports. */
function modelBuildId(compiled: CompiledModel): string {
  const hash = createHash('sha256');
  for (const f of [...compiled.generated.files].sort((a, b) => a.name.localeCompare(b.name))) hash.update(`${f.name}\0${f.text}\0`);
  return hash.digest('hex').slice(0, 16);
}

const within = (folder: string, files: GeneratedFile[]) => files.map((f) => ({ name: `${folder}/${f.name}`, text: f.text }));
/** The library layout PlatformIO and Zephyr share: the API header <name>.h under include/, everything else under src/. */
const headerAndSources = (sources: GeneratedFile[], header: string) => [
  ...within(
    'include',
    sources.filter((f) => f.name === header),
  ),
  ...within(
    'src',
    sources.filter((f) => f.name !== header),
  ),
];
const withoutCMake = (compiled: CompiledModel) => compiled.generated.files.filter((f) => f.name !== 'CMakeLists.txt');
const renderExport = (template: string, view: object) => renderTemplateFile(join(EXPORTS_DIR, template), view);

/** Text safe inside a double-quoted string of the given syntax: a model's name is untrusted input. */
const quotedText = (text: string) => text.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, "'");
/** Text for one line of a `#` comment or a properties value: no line breaks or control characters. */
const lineText = (text: string) => text.replace(/[^\x20-\x7e]/g, '?');

/** The facts every export's templates share: the model, its target, and the banners in each comment syntax. */
function exportView(compiled: CompiledModel, target: TargetDescriptor) {
  return libraryView(modelView(compiled), target, compiled.generated.banner);
}

/**
 * exportView for any library of generated C: `library` names it and its sources, `banner` gives the
 * banner of a further file (a pipeline passes its model's).
 */
export function libraryView(library: LibraryFacts, target: TargetDescriptor, banner: (what: string) => { c: string; cmake: string }) {
  return {
    ...library,
    modelName: lineText(library.name),
    modelNameJson: quotedText(library.name),
    modelNameKconfig: quotedText(library.name),
    targetName: target.name,
    targetDescription: lineText(target.description),
    version: LIBRARY_VERSION,
    cBanner: (file: string) => banner(`${file}: part of the ${target.name} export of ${library.kind} ${library.name}.`).c,
    hashBanner: (file: string) => banner(`${file}: part of the ${target.name} export of ${library.kind} ${library.name}.`).cmake,
  };
}

/** The compiler and flags a user builds the C with for this target (`make` and `cmake` exports). */
export function exportCompiler(target: TargetDescriptor): { cc: string; ar: string; archFlags: string[]; optimize: string; cflags: string[] } {
  const isArchFlag = (f: string) => /^-m|^--specs=/.test(f);
  const cc = target.toolchain.cc;
  return {
    cc,
    ar: cc.replace(/gcc$/, 'ar'),
    archFlags: target.toolchain.cflags.filter(isArchFlag),
    optimize: target.toolchain.cflags.find((f) => /^-O/.test(f)) ?? '-O2',
    // -Werror is for our own checks: a user's newer compiler may warn where ours does not
    cflags: target.toolchain.cflags.filter((f) => !isArchFlag(f) && !/^-O/.test(f) && f !== '-Werror'),
  };
}

/**
 * The starter apps' header: the sample input as const arrays, a loader, and the top class of output 0,
 * with the class tinyforge's reference kernels give for the sample.
 */
export function sampleHeader(compiled: CompiledModel, options: ProjectOptions, modelHeader: string): GeneratedFile {
  const { graph, prepared, generated } = compiled;
  const sample = options.sample ?? zeroPointCase(graph);
  const output = graph.tensors[graph.outputs[0]!]!;
  const scores = outputValues(graph, 0, interpret(prepared, sample).outputs[0]!);
  const expectedClass = scores.reduce((best, v, i) => (v > scores[best]! ? i : best), 0);
  const name = `${generated.prefix}_sample.h`;
  const text = renderExport('sample.h.hbs', {
    banner: generated.banner(`${name}: the sample input of the starter app and the top class of model ${graph.name}.`).c,
    prefix: generated.prefix,
    PREFIX: generated.prefix.toUpperCase(),
    modelHeader,
    sampleSource: lineText(options.sampleSource ?? 'every input at its zero point').replace(/\*\//g, '*?/'),
    inputs: sample.map((bytes) => ({
      bytes: bytes.length,
      body: cArrayBody(
        Array.from(bytes, (b) => `0x${b.toString(16).padStart(2, '0')}`),
        16,
      ),
    })),
    expectedClass,
    outputType: output.dtype,
    outputCType: DTYPE_C[output.dtype],
  });
  return { name, text };
}

/** The facts the library parts of a layout take: a model's (exportView) or a pipeline's. */
export type ExportView = ReturnType<typeof exportView>;

/** A CMake toolchain file for a cross target: its compiler and the core flags the kernels were chosen for. */
export function cmakeToolchainFile(view: ExportView, target: TargetDescriptor): GeneratedFile {
  const compiler = exportCompiler(target);
  const fileName = `toolchain-${target.name}.cmake`;
  return {
    name: fileName,
    text: renderExport('cmake/toolchain.cmake.hbs', {
      ...view,
      banner: view.hashBanner(fileName),
      fileName,
      processor: target.isa.rv32 ? 'riscv32' : target.name.startsWith('esp32') ? 'xtensa' : 'arm',
      cc: compiler.cc,
      archFlags: compiler.archFlags.join(' '),
    }),
  };
}

/** `cmake`: the generated sources with their CMakeLists.txt, and a toolchain file for a cross target. */
export function cmakeExport(compiled: CompiledModel, target: TargetDescriptor): GeneratedFile[] {
  const files = [...compiled.generated.files];
  if (target.name === 'host') return files;
  files.push(cmakeToolchainFile(exportView(compiled, target), target));
  return files;
}

/**
 * A Makefile building lib<prefix>.a from `files` (the sources of `view`), and with `app` (a C file
 * among `files`, not in the library) a `make app` target linking it against the library.
 */
export function makeLayout(view: ExportView, target: TargetDescriptor, files: GeneratedFile[], app: string | null = null): GeneratedFile {
  const compiler = exportCompiler(target);
  return {
    name: 'Makefile',
    text: renderExport('make/Makefile.hbs', {
      ...view,
      banner: view.hashBanner('Makefile'),
      cc: compiler.cc,
      ar: compiler.ar,
      archFlags: compiler.archFlags.join(' '),
      optimize: compiler.optimize,
      cflags: compiler.cflags.join(' '),
      sources: view.sources.join(' '),
      headers: files
        .filter((f) => f.name.endsWith('.h'))
        .map((f) => f.name)
        .join(' '),
      app,
    }),
  };
}

/** `make`: the generated sources and a Makefile building the static library. */
export function makeExport(compiled: CompiledModel, target: TargetDescriptor): GeneratedFile[] {
  const files = withoutCMake(compiled);
  return [...files, makeLayout(exportView(compiled, target), target, files)];
}

/**
 * An Arduino library of `view`'s library: library.properties, `files` in src/ with the header
 * <prefix>.h (a name no other library has) including the API header, and the example sketch
 * examples/<sketch>/<sketch>.ino with the rest of `app` beside it.
 */
export function arduinoLayout(
  view: ExportView,
  target: TargetDescriptor,
  files: GeneratedFile[],
  app: { sketch: GeneratedFile; others: GeneratedFile[] },
  example: { sketch: string; what: string },
): GeneratedFile[] {
  const header = `${view.prefix}.h`;
  return [
    {
      name: 'library.properties',
      text: renderExport('arduino/library.properties.hbs', {
        ...view,
        banner: view.hashBanner('library.properties'),
        libraryName: view.prefix,
        exampleWhat: example.what,
        architectures: ARDUINO_ARCHITECTURES[target.name] ?? '*',
      }),
    },
    ...within('src', files),
    { name: `src/${header}`, text: renderExport('arduino/library_header.h.hbs', { ...view, banner: view.cBanner(header) }) },
    { name: `examples/${example.sketch}/${example.sketch}.ino`, text: app.sketch.text },
    ...within(`examples/${example.sketch}`, app.others),
  ];
}

/** `arduino`: library.properties, the sources in src/ with a header named after the library, an example sketch. */
export function arduinoExport(compiled: CompiledModel, target: TargetDescriptor, options: ProjectOptions = {}): GeneratedFile[] {
  const view = exportView(compiled, target);
  const sketch = 'Classify';
  const ino = { name: `${sketch}.ino`, text: renderExport('arduino/sketch.ino.hbs', { ...view, banner: view.cBanner(`${sketch}.ino`) }) };
  return arduinoLayout(
    view,
    target,
    withoutCMake(compiled),
    { sketch: ino, others: [sampleHeader(compiled, options, `${view.prefix}.h`)] },
    { sketch, what: 'the example runs the model on a sample input and prints the top class' },
  );
}

/**
 * A PlatformIO library of `view`'s library (library.json, its API header in include/, the rest of
 * `files` in src/), and an example project examples/<name> with `app` in its src/.
 */
export function platformioLayout(
  view: ExportView,
  target: TargetDescriptor,
  files: GeneratedFile[],
  app: GeneratedFile[],
  example: { name: string; doc: string },
): GeneratedFile[] {
  // PlatformIO's registry names: lower case letters, digits and dashes
  const libraryName = view.prefix.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const board = PLATFORMIO_BOARDS[target.name] ?? PLATFORMIO_BOARDS.host!;
  return [
    {
      name: 'library.json',
      text: `${JSON.stringify(
        JSON.parse(renderExport('platformio/library.json.hbs', { ...view, libraryName, platforms: JSON.stringify(board.platforms) })),
        null,
        2,
      )}\n`,
    },
    ...headerAndSources(files, view.header),
    {
      name: `examples/${example.name}/platformio.ini`,
      text: renderExport('platformio/platformio.ini.hbs', {
        ...view,
        banner: view.hashBanner('platformio.ini').replace(/^#/gm, ';'),
        exampleDoc: example.doc,
        libraryName,
        envName: board.env,
        envLines: board.lines,
        boardNote: `a ${target.name} board; put yours in [env] (pio boards)`,
      }),
    },
    ...within(`examples/${example.name}/src`, app),
  ];
}

/** `platformio`: library.json, the API header in include/, the rest in src/, an example project. */
export function platformioExport(compiled: CompiledModel, target: TargetDescriptor, options: ProjectOptions = {}): GeneratedFile[] {
  const view = exportView(compiled, target);
  const main = { name: 'main.cpp', text: renderExport('platformio/main.cpp.hbs', { ...view, banner: view.cBanner('main.cpp') }) };
  return platformioLayout(view, target, withoutCMake(compiled), [main, sampleHeader(compiled, options, compiled.generated.fileNames.header)], {
    name: 'classify',
    doc: `Runs ${view.modelName} once on a sample input and prints the top class`,
  });
}

/** How a Zephyr module's sample is named, what it does, and the console line its sample.yaml waits for. */
export interface ZephyrSample {
  sampleName: string;
  sampleDoc: string;
  sampleDescription: string;
  consoleRegex: string;
}

/**
 * A Zephyr module of `view`'s library (zephyr/module.yml, Kconfig, CMakeLists.txt, `files` split into
 * include/ and src/), and a sample application in samples/<name> with `app` in its src/.
 */
export function zephyrLayout(view: ExportView, target: TargetDescriptor, files: GeneratedFile[], app: GeneratedFile[], sample: ZephyrSample): GeneratedFile[] {
  const hash = (template: string, file: string, extra: object = {}) => renderExport(template, { ...view, ...sample, ...extra, banner: view.hashBanner(file) });
  const dir = `samples/${sample.sampleName}`;
  return [
    { name: 'zephyr/module.yml', text: hash('zephyr/module.yml.hbs', 'module.yml') },
    { name: 'Kconfig', text: hash('zephyr/Kconfig.hbs', 'Kconfig') },
    { name: 'CMakeLists.txt', text: hash('zephyr/CMakeLists.txt.hbs', 'CMakeLists.txt') },
    ...headerAndSources(files, view.header),
    { name: `${dir}/CMakeLists.txt`, text: hash('zephyr/sample/CMakeLists.txt.hbs', 'CMakeLists.txt') },
    { name: `${dir}/prj.conf`, text: hash('zephyr/sample/prj.conf.hbs', 'prj.conf', { mainStackBytes: ZEPHYR_SAMPLE_STACK_BYTES }) },
    { name: `${dir}/sample.yaml`, text: hash('zephyr/sample/sample.yaml.hbs', 'sample.yaml') },
    ...within(`${dir}/src`, app),
  ];
}

/** `zephyr`: a Zephyr module (zephyr/module.yml, Kconfig, CMakeLists.txt), include/ and src/, a sample. */
export function zephyrExport(compiled: CompiledModel, target: TargetDescriptor, options: ProjectOptions = {}): GeneratedFile[] {
  const view = exportView(compiled, target);
  const sample = sampleHeader(compiled, options, compiled.generated.fileNames.header);
  const expectedClass = /_SAMPLE_EXPECTED_CLASS (\d+)/.exec(sample.text)![1];
  const main = { name: 'main.c', text: renderExport('zephyr/sample/main.c.hbs', { ...view, banner: view.cBanner('main.c') }) };
  return zephyrLayout(view, target, withoutCMake(compiled), [main, sample], {
    sampleName: 'classify',
    sampleDoc: `Runs ${view.modelName} once on a sample input and prints the top class on the console`,
    sampleDescription: 'runs the model compiled by tinyforge on a sample input and prints the top class',
    consoleRegex: `top class ${expectedClass} `,
  });
}

/**
 * The Zephyr sample's main stack: the invoke takes at most a few hundred bytes (the largest the bench
 * measures over the shared, zoo and generated models is 316 B; scratch lives in the arena), and
 * printk and main a little more. Not the target's whole stack (64 KiB on the Cortex-M33).
 */
const ZEPHYR_SAMPLE_STACK_BYTES = 4096;

/** The main task's stack for the starter apps and the harness: the target's, at least 8 KiB. */
const mainStackBytes = (target: TargetDescriptor) => Math.max(target.memory?.stackBytes ?? 16384, 8192);

/** The ESP chip of an ESP target, or a one-line error naming the ones there are. */
export function idfChip(target: TargetDescriptor) {
  const chip = IDF_TARGETS[target.name];
  if (!chip) throw new TinyforgeError(`target ${target.name} is not an ESP chip: an ESP-IDF project is for ${Object.keys(IDF_TARGETS).join(', ')}`);
  return chip;
}

/**
 * An ESP-IDF project around a library: the library as the component components/<prefix>, and main/
 * with `app` (main.c and what it includes; `appDoc` says what it does).
 */
export function espIdfLayout(
  view: ExportView,
  target: TargetDescriptor,
  app: GeneratedFile[],
  extra: { appDoc: string; harness?: boolean; buildId?: string; input0ArenaOffset?: number; psram?: { bytes: number; octal: boolean } },
) {
  const chip = idfChip(target);
  const flashMiB = (target.memory?.flash.bytes ?? 4 * 1024 * 1024) / (1024 * 1024);
  const idfView = {
    ...view,
    ...chip,
    ...extra,
    target: target.name,
    board: `${chip.idfTarget}-esp-idf`,
    mainStackBytes: mainStackBytes(target),
    flashSize: `${flashMiB}MB`,
  };
  const component = (template: string) => renderTemplateFile(join(IDF_DIR, template), idfView);
  const starter = (template: string, file: string) => renderExport(`esp-idf/${template}`, { ...idfView, banner: view.hashBanner(file) });
  return {
    idfView,
    files: [
      { name: 'CMakeLists.txt', text: starter('CMakeLists.txt.hbs', 'CMakeLists.txt') },
      { name: 'sdkconfig.defaults', text: starter('sdkconfig.defaults.hbs', 'sdkconfig.defaults') },
      { name: 'main/CMakeLists.txt', text: starter('main/CMakeLists.txt.hbs', 'main/CMakeLists.txt') },
      ...within('main', app),
      { name: `components/${view.prefix}/CMakeLists.txt`, text: component('component/CMakeLists.txt.hbs') },
      { name: `components/${view.prefix}/idf_component.yml`, text: component('component/idf_component.yml.hbs') },
    ],
  };
}

/**
 * `esp-idf`: the model as the component components/<prefix>, a starter app in main/, and tinyforge's
 * device harness (what `profile --port` talks to) as the project harness/ using the same component.
 */
export function espIdfProject(compiled: CompiledModel, target: TargetDescriptor, options: ProjectOptions = {}): GeneratedFile[] {
  const view = exportView(compiled, target);
  const main = { name: 'main.c', text: renderExport('esp-idf/main/main.c.hbs', { ...view, banner: view.cBanner('main/main.c') }) };
  const { idfView, files } = espIdfLayout(view, target, [main, sampleHeader(compiled, options, compiled.generated.fileNames.header)], {
    appDoc: 'runs the model once on a\n# sample input and prints the top class on the console',
    harness: true,
    buildId: modelBuildId(compiled),
    input0ArenaOffset: compiled.plan.tensorOffset.get(compiled.graph.inputs[0]!) ?? 0,
    // a plan split into PSRAM (plan/regions.ts): the project turns external RAM on; the S3 board tinyforge
    // describes (esp32-s3-devkitc-1, N8R8) has octal PSRAM, the ESP32's modules quad (ESP-IDF's only mode there)
    ...(compiled.plan.external ? { psram: { bytes: compiled.plan.external.arenaBytes, octal: target.name === 'esp32s3' } } : {}),
  });
  const harness = (template: string) => renderTemplateFile(join(IDF_DIR, template), idfView);
  const copy = (file: string) => readFileSync(file, 'utf8');
  return [
    ...files,
    ...within(`components/${view.prefix}`, withoutCMake(compiled)),
    { name: 'harness/CMakeLists.txt', text: harness('CMakeLists.txt.hbs') },
    { name: 'harness/sdkconfig.defaults', text: harness('sdkconfig.defaults.hbs') },
    { name: 'harness/main/CMakeLists.txt', text: harness('main/CMakeLists.txt.hbs') },
    { name: 'harness/main/app_main.c', text: copy(join(IDF_DIR, 'main', 'app_main.c')) },
    { name: 'harness/main/platform_esp_idf.c', text: copy(join(IDF_DIR, 'main', 'platform_esp_idf.c')) },
    ...['harness.c', 'harness_model.c', 'harness_model.h', 'tf_frame.c', 'tf_frame.h', 'platform.h', 'tf_bytes.h'].map((f) => ({
      name: `harness/main/${f}`,
      text: copy(join(FIRMWARE_DIR, 'common', f)),
    })),
  ];
}

/**
 * A pico-sdk INTERFACE library of `view`'s sources (CMakeLists.txt), and example/CMakeLists.txt
 * building example/main.c against it; `docs` says what the example does.
 */
export function picoSdkLayout(view: LibraryFacts, docs: { exampleWhat: string; exampleDoc: string }): GeneratedFile[] {
  const render = (template: string) => renderTemplateFile(join(PICO_DIR, template), { ...view, ...docs });
  return [
    { name: 'CMakeLists.txt', text: render('CMakeLists.txt.hbs') },
    { name: 'example/CMakeLists.txt', text: render('example/CMakeLists.txt.hbs') },
  ];
}

/** `pico-sdk`: the model as an INTERFACE library, and a starter app in example/. */
export function picoSdkLibrary(compiled: CompiledModel, options: ProjectOptions = {}): GeneratedFile[] {
  const view = modelView(compiled);
  return [
    ...withoutCMake(compiled),
    ...picoSdkLayout(view, {
      exampleWhat: 'runs the model once on a sample input and prints the top class',
      exampleDoc: `Runs ${view.name} once on a sample input on a Raspberry Pi Pico and prints the top class, the cycle count and the outputs over stdio (UART0)`,
    }),
    { name: 'example/main.c', text: renderTemplateFile(join(PICO_DIR, 'example/main.c.hbs'), view) },
    within('example', [sampleHeader(compiled, options, compiled.generated.fileNames.header)])[0]!,
  ];
}

/** The files of `kind`'s layout for a target, or a one-line error when the two do not go together. */
export function projectFiles(kind: string, compiled: CompiledModel, target: TargetDescriptor, options: ProjectOptions = {}): GeneratedFile[] {
  switch (kind) {
    case 'cmake':
      return cmakeExport(compiled, target);
    case 'make':
      return makeExport(compiled, target);
    case 'arduino':
      return arduinoExport(compiled, target, options);
    case 'platformio':
      return platformioExport(compiled, target, options);
    case 'zephyr':
      if (target.name === 'host') throw new TinyforgeError('a Zephyr module is for a microcontroller target, not host');
      return zephyrExport(compiled, target, options);
    case 'esp-idf':
      return espIdfProject(compiled, target, options);
    case 'pico-sdk':
      if (target.name !== 'rp2040') throw new TinyforgeError(`a pico-sdk library is for --target rp2040, not ${target.name}`);
      return picoSdkLibrary(compiled, options);
    default:
      throw new TinyforgeError(`unknown project kind '${kind}' (known: ${PROJECT_KINDS.join(', ')})`);
  }
}
