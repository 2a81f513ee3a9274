// SPDX-License-Identifier: Apache-2.0
/**
 * The files of a library of several models sharing one arena (plan/shared_arena.ts) that belong to
 * none of them: `tf_models.h` (the arena's size, alignment and layout; its declaration when static),
 * `tf_models.c` (its one definition, static arena only) and one CMakeLists.txt building every model.
 */
import { join } from 'node:path';
import type { KernelIsa } from '../ops/op.ts';
import { renderTemplateFile } from '../ops/common/render.ts';
import type { SharedArenaPlan } from '../plan/shared_arena.ts';
import { type Provenance, bannerLines, renderBanner } from './banner.ts';
import { cCommentText } from './c_text.ts';
import { type ArenaOption, CODE_LICENSE, type GeneratedFile, type GeneratedModel, type SharedArenaCode, TEMPLATES_DIR } from './generate.ts';

/** The shared arena's header and its symbol: named for no model (a model may not take these names). */
export const LIBRARY_NAME = 'tf_models';
export const LIBRARY_HEADER = `${LIBRARY_NAME}.h`;
export const LIBRARY_SOURCE = `${LIBRARY_NAME}.c`;
export const LIBRARY_ARENA = `${LIBRARY_NAME}_arena`;

/** What model k's C needs to reach the shared arena. */
export function sharedArenaCode(shared: SharedArenaPlan, k: number): SharedArenaCode {
  const slot = shared.slots[k]!;
  return { header: LIBRARY_HEADER, symbol: LIBRARY_ARENA, stateOffset: slot.stateOffset, stateBytes: slot.stateBytes, scratchOffset: shared.scratchOffset };
}

/**
 * The library's own files. `models` are the models' generated C in arena order, `provenances` what
 * each was compiled from (the banner lists every model file).
 */
export function generateLibraryFiles(
  models: GeneratedModel[],
  names: string[],
  shared: SharedArenaPlan,
  arena: ArenaOption | undefined,
  isa: KernelIsa | undefined,
  provenances: Provenance[],
): GeneratedFile[] {
  const first = bannerLines(provenances[0] ?? {}, isa, names[0] ?? '');
  const modelLines = provenances.flatMap((p, k) => bannerLines(p, isa, names[k]!).filter((l) => l.label === 'model'));
  const lines = [...first.filter((l) => l.label === 'target'), ...modelLines, ...first.filter((l) => l.label !== 'target' && l.label !== 'model')];
  const list = names.join(', ');
  const banner = (what: string) => renderBanner(lines, what, CODE_LICENSE);
  const callerArena = arena === 'caller';
  const rows = [
    ...models.map((m, k) => ({ offset: shared.slots[k]!.stateOffset, bytes: shared.slots[k]!.stateBytes, what: `${m.prefix}: its state (variable tensors)` })),
    {
      offset: shared.scratchOffset,
      bytes: shared.arenaBytes - shared.scratchOffset,
      what: 'the activations, inputs, outputs and scratch of whichever model runs',
    },
  ].filter((r) => r.bytes > 0);
  const width = Math.max(...rows.map((r) => String(r.offset).length), 6);
  const bytesWidth = Math.max(...rows.map((r) => String(r.bytes).length), 5);
  const layout = rows.map((r) => `${String(r.offset).padStart(width)}  ${String(r.bytes).padStart(bytesWidth)}  ${cCommentText(r.what)}`);
  const header = [
    banner(`${LIBRARY_HEADER}: the arena shared by the ${models.length} models of this library (${list}).`).c,
    `#ifndef TF_MODELS_H`,
    `#define TF_MODELS_H`,
    '',
    '#include <stdint.h>',
    '',
    '/*',
    ` * The models ${list}`,
    " * never run at the same time, so they share one arena: each model's state (variable tensors, kept",
    ' * between its inferences) has bytes of its own, and the activations and',
    ' * scratch of all of them share one region. Running one model overwrites the inputs and outputs of the',
    " * others: read or copy a model's outputs before invoking another (memmove, not memcpy, from one",
    " * model's output to another's input: they may overlap).",
    ` * ${shared.arenaBytes} bytes shared, where separate arenas would take ${shared.separateBytes}.`,
    ' *',
    ` *   ${'offset'.padStart(width)}  ${'bytes'.padStart(bytesWidth)}  what`,
    ...layout.map((l) => ` *   ${l}`),
    ' */',
    `#define TF_MODELS_ARENA_BYTES ${shared.arenaBytes}u`,
    "/* the alignment, in bytes, the arena's start needs (every offset in it is a multiple of it) */",
    `#define TF_MODELS_ARENA_ALIGN ${shared.alignment}u`,
    "/* where the shared activation and scratch region starts: every model's state lies below it */",
    `#define TF_MODELS_SCRATCH_OFFSET ${shared.scratchOffset}u`,
    ...(callerArena
      ? [
          "/* the arena is the caller's: give every model's init the same buffer of TF_MODELS_ARENA_BYTES bytes,",
          ' * aligned to TF_MODELS_ARENA_ALIGN */',
          '#define TF_MODELS_CALLER_ARENA 1',
        ]
      : [
          `/* Where the static arena goes: define it (when ${LIBRARY_SOURCE} is compiled, e.g. with -D) as an`,
          ' * attribute such as __attribute__((section(".dtcm"))) to place it in a given RAM; empty by default. */',
          '#ifndef TF_MODELS_ARENA_SECTION',
          '#define TF_MODELS_ARENA_SECTION',
          '#endif',
          '',
          `/* defined once, in ${LIBRARY_SOURCE} */`,
          `extern uint8_t ${LIBRARY_ARENA}[TF_MODELS_ARENA_BYTES];`,
        ]),
    '',
    '#endif',
    '',
  ].join('\n');
  const files: GeneratedFile[] = [{ name: LIBRARY_HEADER, text: header, role: 'header' }];
  const sources = models.flatMap((m) => [m.fileNames.source, m.fileNames.weightsSource]);
  if (!callerArena) {
    const source = [
      banner(`${LIBRARY_SOURCE}: the one definition of the arena the models ${list} share.`).c,
      `#include "${LIBRARY_HEADER}"`,
      '',
      '#if defined(__GNUC__)',
      '#define TF_MODELS_ALIGNED(n) __attribute__((aligned(n)))',
      '#else',
      '#define TF_MODELS_ALIGNED(n)',
      '#endif',
      '',
      `uint8_t ${LIBRARY_ARENA}[TF_MODELS_ARENA_BYTES] TF_MODELS_ALIGNED(${shared.alignment}) TF_MODELS_ARENA_SECTION;`,
      '',
    ].join('\n');
    files.push({ name: LIBRARY_SOURCE, text: source, role: 'source' });
    sources.push(LIBRARY_SOURCE);
  }
  const asmSources = [...new Set(models.flatMap((m) => m.files.filter((f) => f.role === 'kernel' && f.name.endsWith('.S')).map((f) => f.name)))];
  const cmake = renderTemplateFile(join(TEMPLATES_DIR, 'CMakeLists.txt.hbs'), {
    banner: { cmake: banner(`CMakeLists.txt: the models ${list} as one static library.`).cmake },
    library: LIBRARY_NAME,
    libraryDoc: `the compiled models ${list}, sharing one arena`,
    librarySources: [...sources, ...asmSources],
    asmSources,
  });
  files.push({ name: 'CMakeLists.txt', text: cmake, role: 'cmake' });
  return files;
}
