// SPDX-License-Identifier: Apache-2.0
/**
 * The generated model as a project of a vendor SDK, so it drops into the user's own build:
 *
 * - `espIdfProject`: an ESP-IDF project (`idf.py set-target <chip> && idf.py build flash monitor`):
 *   the model as the component `components/<prefix>/` (CMakeLists.txt, idf_component.yml) and a
 *   `main/` that runs tinyforge's device harness on UART0, which `tinyforge profile --port` talks to.
 * - `picoSdkLibrary`: the model as a pico-sdk INTERFACE library (`add_subdirectory` it, link it), with
 *   an `example/` program that runs it once and prints its outputs.
 *
 * Templates live in firmware/esp32/idf and firmware/rp2040/pico-sdk. Neither SDK is installed here:
 * the files are checked for what they contain, not built (the C they wrap is built and run on the
 * emulated boards, and the Xtensa C compile-checked).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompiledModel } from '../compile.ts';
import type { GeneratedFile } from '../codegen/generate.ts';
import { renderTemplateFile } from '../ops/common/render.ts';
import { TinyforgeError } from '../errors.ts';
import { FIRMWARE_DIR, type TargetDescriptor } from './targets.ts';
import { isCompiledSource } from './toolchain.ts';

const IDF_DIR = join(FIRMWARE_DIR, 'esp32', 'idf');
const PICO_DIR = join(FIRMWARE_DIR, 'rp2040', 'pico-sdk');

/** ESP-IDF's name of each ESP target (`idf.py set-target`) and the chip's marketing name. */
const IDF_TARGETS: Record<string, { idfTarget: string; chipName: string; clockHz: number }> = {
  esp32: { idfTarget: 'esp32', chipName: 'ESP32', clockHz: 240_000_000 },
  esp32s3: { idfTarget: 'esp32s3', chipName: 'ESP32-S3', clockHz: 240_000_000 },
  esp32c3: { idfTarget: 'esp32c3', chipName: 'ESP32-C3', clockHz: 160_000_000 },
};

function modelView(compiled: CompiledModel) {
  const { graph, plan, generated, prepared } = compiled;
  return {
    name: graph.name,
    prefix: generated.prefix,
    sources: generated.files.filter((f) => isCompiledSource(f.name)).map((f) => f.name),
    arenaBytes: plan.arenaBytes,
    macs: prepared.layers.reduce((n, l) => n + l.macs, 0),
    weightBytes: graph.tensors.filter((t) => t.data).reduce((n, t) => n + t.data!.length, 0),
    inputs: graph.inputs.map((i) => ({ zeroPoint: graph.tensors[i]!.quant?.zeroPoint[0] ?? 0 })),
  };
}

/** A hash of the generated model's files: the build id the harness of the ESP-IDF project reports. */
function modelBuildId(compiled: CompiledModel): string {
  const hash = createHash('sha256');
  for (const f of [...compiled.generated.files].sort((a, b) => a.name.localeCompare(b.name))) hash.update(`${f.name}\0${f.text}\0`);
  return hash.digest('hex').slice(0, 16);
}

const within = (folder: string, files: GeneratedFile[]) => files.map((f) => ({ name: `${folder}/${f.name}`, text: f.text }));

export function espIdfProject(compiled: CompiledModel, target: TargetDescriptor): GeneratedFile[] {
  const chip = IDF_TARGETS[target.name];
  if (!chip) throw new TinyforgeError(`target ${target.name} is not an ESP chip: an ESP-IDF project is for ${Object.keys(IDF_TARGETS).join(', ')}`);
  const model = modelView(compiled);
  const flashMiB = (target.memory?.flash.bytes ?? 4 * 1024 * 1024) / (1024 * 1024);
  const view = {
    ...model,
    ...chip,
    target: target.name,
    board: `${chip.idfTarget}-esp-idf`,
    buildId: modelBuildId(compiled),
    input0ArenaOffset: compiled.plan.tensorOffset.get(compiled.graph.inputs[0]!) ?? 0,
    mainStackBytes: Math.max(target.memory?.stackBytes ?? 16384, 8192),
    flashSize: `${flashMiB}MB`,
  };
  const render = (template: string) => renderTemplateFile(join(IDF_DIR, template), view);
  const copy = (file: string) => readFileSync(file, 'utf8');
  return [
    { name: 'CMakeLists.txt', text: render('CMakeLists.txt.hbs') },
    { name: 'sdkconfig.defaults', text: render('sdkconfig.defaults.hbs') },
    { name: 'main/CMakeLists.txt', text: render('main/CMakeLists.txt.hbs') },
    { name: 'main/app_main.c', text: copy(join(IDF_DIR, 'main', 'app_main.c')) },
    { name: 'main/platform_esp_idf.c', text: copy(join(IDF_DIR, 'main', 'platform_esp_idf.c')) },
    ...['harness.c', 'tf_frame.c', 'tf_frame.h', 'platform.h', 'tf_bytes.h'].map((f) => ({ name: `main/${f}`, text: copy(join(FIRMWARE_DIR, 'common', f)) })),
    { name: `components/${model.prefix}/CMakeLists.txt`, text: render('component/CMakeLists.txt.hbs') },
    { name: `components/${model.prefix}/idf_component.yml`, text: render('component/idf_component.yml.hbs') },
    ...within(
      `components/${model.prefix}`,
      compiled.generated.files.filter((f) => f.name !== 'CMakeLists.txt'),
    ),
  ];
}

export function picoSdkLibrary(compiled: CompiledModel): GeneratedFile[] {
  const view = modelView(compiled);
  const render = (template: string) => renderTemplateFile(join(PICO_DIR, template), view);
  return [
    ...compiled.generated.files.filter((f) => f.name !== 'CMakeLists.txt'),
    { name: 'CMakeLists.txt', text: render('CMakeLists.txt.hbs') },
    { name: 'example/CMakeLists.txt', text: render('example/CMakeLists.txt.hbs') },
    { name: 'example/main.c', text: render('example/main.c.hbs') },
  ];
}

export const PROJECT_KINDS = ['esp-idf', 'pico-sdk'] as const;
export type ProjectKind = (typeof PROJECT_KINDS)[number];

/** The files of `kind`'s layout for a target, or a one-line error when the two do not go together. */
export function projectFiles(kind: string, compiled: CompiledModel, target: TargetDescriptor): GeneratedFile[] {
  if (kind === 'esp-idf') return espIdfProject(compiled, target);
  if (kind === 'pico-sdk') {
    if (target.name !== 'rp2040') throw new TinyforgeError(`a pico-sdk library is for --target rp2040, not ${target.name}`);
    return picoSdkLibrary(compiled);
  }
  throw new TinyforgeError(`unknown project kind '${kind}' (known: ${PROJECT_KINDS.join(', ')})`);
}
