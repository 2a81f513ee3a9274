// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import { listTargets, loadTarget } from '../../lab/toolchain/index.ts';
import type { CounterSpec, TargetDescriptor } from '../../core/targets/targets.ts';
import { formatTable } from '../report/table.ts';
import { wrapLines } from '../report/layout.ts';
import { jsonLine } from '../report/json_document.ts';

/** How tinyforge reaches a target's code: run on an emulator, on real hardware, natively, or only compiled. */
export type TargetKind = 'emulated' | 'real hardware' | 'native';

export interface TargetListing {
  name: string;
  description: string;
  cpu: string;
  arch: string;
  isa: TargetDescriptor['isa'];
  /** bytes; null for the host */
  flashBytes: number | null;
  ramBytes: number | null;
  stackBytes: number | null;
  /** the kind of the target's default board, or of the target itself when it has none */
  kind: TargetKind;
  defaultBoard: string | null;
  /** `counter` null on a real board we build no firmware for yet */
  boards: { name: string; kind: TargetKind; clockHz: number; counter: CounterSpec | null; description: string }[];
}

export function targetKind(target: TargetDescriptor): TargetKind {
  if (target.firmware === 'host') return 'native';
  const board = target.boards.find((b) => b.name === target.defaultBoard) ?? target.boards[0];
  return board?.emulated === false ? 'real hardware' : 'emulated';
}

export function describeTargets(): TargetListing[] {
  return listTargets()
    .map(loadTarget)
    .map((t) => ({
      name: t.name,
      description: t.description,
      cpu: t.cpu,
      arch: t.arch,
      isa: t.isa,
      flashBytes: t.memory?.flash.bytes ?? null,
      ramBytes: t.memory?.ram.bytes ?? null,
      stackBytes: t.memory?.stackBytes ?? null,
      kind: targetKind(t),
      defaultBoard: t.defaultBoard,
      boards: t.boards.map((b) => ({
        name: b.name,
        kind: b.emulated ? ('emulated' as const) : ('real hardware' as const),
        clockHz: b.clockHz,
        counter: b.counter ?? null,
        description: b.description,
      })),
    }));
}

const kib = (bytes: number | null) => (bytes === null ? '-' : bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`);

function isaText(t: TargetListing): string {
  const parts = [t.arch];
  if (t.isa.dsp) parts.push('DSP');
  if (t.isa.fpu !== 'none' && t.isa.fpu !== 'native') parts.push(t.isa.fpu);
  return parts.join(' ');
}

/**
 * The targets table, one line per target and board: by default the columns that fit
 * TERMINAL_COLUMNS (the counter by its kind); `wide` gives the ISA's extensions and each counter's source.
 */
export function formatTargets(listing: TargetListing[], wide = false): string {
  const rows = listing.flatMap((t) => {
    const common = [t.name, wide ? isaText(t) : t.arch, kib(t.flashBytes), kib(t.ramBytes)];
    if (t.boards.length === 0) {
      const counter = t.kind === 'native' ? '-' : wide ? 'none (no figure measured)' : 'none';
      return [[...common, t.kind === 'native' ? '(native build)' : '(none here)', counter, t.kind]];
    }
    return t.boards.map((b) => [
      ...common,
      b.name + (b.name === t.defaultBoard ? ' *' : ''),
      b.counter ? (wide ? `${b.counter.kind}: ${b.counter.source}` : b.counter.kind) : wide ? 'none (no firmware of ours yet)' : 'none',
      b.kind,
    ]);
  });
  const notes = [
    "* the default board (no --board). Emulated figures are the emulator's: QEMU counts instructions, rp2040js cycles of its timing model.",
    "ESP32 and ESP32-S3: run, profile and validate build the harness with Espressif's xtensa-esp32-elf-gcc / xtensa-esp32s3-elf-gcc and run it on Espressif's QEMU (machines esp32, esp32s3: the S3's SIMD kernels executed), or on QEMU's Xtensa sim machine where that is not installed; without those compilers the Xtensa C is only compile-checked, by xtensa-lx106-elf-gcc (a labelled fallback). On a board, idf.py builds the firmware.",
    'The real boards, with their chips, memory, clocks and flashing: `tinyforge boards`.',
  ];
  if (!wide) notes.push("Each ISA's extensions and counter's source: `tinyforge targets --wide`.");
  return [
    formatTable(['target', 'isa', 'flash', 'ram', 'board', 'counter', 'kind'], rows, undefined, wide ? undefined : { shrink: [{ column: 1, min: 8 }] }),
    '',
    notes.map((n) => wrapLines(n)).join('\n'),
  ].join('\n');
}

export function targetsCommand(): Command {
  return new Command('targets')
    .description('list targets and their boards: memory, counter, real hardware or emulated')
    .option('--wide', "every column in full (the ISA's extensions, each counter's source), however wide the lines")
    .option('--json', 'print one JSON object on stdout')
    .action((opts: { json?: boolean; wide?: boolean }) => {
      const listing = describeTargets();
      process.stdout.write(opts.json ? jsonLine('targets', { targets: listing }) : `${formatTargets(listing, opts.wide)}\n`);
    });
}
