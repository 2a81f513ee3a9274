// SPDX-License-Identifier: Apache-2.0
/**
 * Section sizes of a built image, read with binutils `size -A -d` (System V format, decimal).
 */
import { TinyforgeError } from '../../core/errors.ts';

/** Bytes per section name. */
export type SectionSizes = Map<string, number>;

export function parseSizeOutput(text: string, file: string): SectionSizes {
  const sizes: SectionSizes = new Map();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s+(\d+)\s*$/.exec(line.trim());
    if (m) sizes.set(m[1]!, (sizes.get(m[1]!) ?? 0) + Number(m[2]));
  }
  if (sizes.size === 0) throw new TinyforgeError(`${file}: size printed no sections`);
  return sizes;
}

export interface FirmwareSizes {
  /** code: boot stage (RP2040), vectors, .text and unwind tables */
  text: number;
  /** constants other than the weights and the baked-in test cases */
  rodata: number;
  /** initialised data (in flash and copied to RAM) */
  data: number;
  /** zeroed data, including the model's arena */
  bss: number;
  /** what the image needs in flash: text + rodata + weights + data (the test cases excluded) */
  flash: number;
  /** the generated weights (`.rodata.tf_weights.*`) */
  flashWeights: number;
  /** the harness's baked-in test inputs (`.rodata.tf_cases.*`), not part of `flash` */
  flashCases: number;
  /** static RAM: data + bss (the stack is reserved apart, see stackReserved) */
  ram: number;
  /** bytes the linker script reserves for the stack (0 on the host) */
  stackReserved: number;
}

const sum = (sizes: SectionSizes, names: string[]) => names.reduce((total, n) => total + (sizes.get(n) ?? 0), 0);

/** Sizes of an image linked with one of the MCU linker scripts (they share these output section names). */
export function embeddedSizes(sizes: SectionSizes): FirmwareSizes {
  const text = sum(sizes, ['.boot2', '.vectors', '.text', '.ARM.exidx']);
  const rodata = sum(sizes, ['.rodata']);
  const flashWeights = sum(sizes, ['.tf_weights']);
  const data = sum(sizes, ['.data']);
  // the model's arenas sit in an output section of their own (ARENA_RAM: RAM, or the H7A3's DTCM)
  const bss = sum(sizes, ['.bss', '.tf_arena']);
  return {
    text,
    rodata,
    data,
    bss,
    flashWeights,
    flash: text + rodata + flashWeights + data,
    flashCases: sum(sizes, ['.tf_cases']),
    ram: data + bss,
    stackReserved: sum(sizes, ['.stack']),
  };
}

/**
 * Sizes of a host executable (default linker script, so weights are folded into .rodata: their
 * size comes from the objects instead, `weightsInObjects`). Approximate by nature: the host libc
 * start-up code and, with sanitizers, instrumentation are counted in.
 */
export function hostSizes(sizes: SectionSizes, weightsInObjects: number): FirmwareSizes {
  const text = sum(sizes, ['.text', '.init', '.fini', '.plt', '.plt.got', '.plt.sec']);
  const rodataAll = sum(sizes, ['.rodata']);
  const data = sum(sizes, ['.data']);
  const bss = sum(sizes, ['.bss']);
  const rodata = Math.max(rodataAll - weightsInObjects, 0);
  return {
    text,
    rodata,
    data,
    bss,
    flashWeights: weightsInObjects,
    flash: text + rodataAll + data,
    flashCases: 0,
    ram: data + bss,
    stackReserved: 0,
  };
}

/** Bytes of the weights sections (`.rodata.tf_weights*`) in one object file's `size -A` output. */
export function weightsInObject(sizes: SectionSizes): number {
  let total = 0;
  for (const [name, bytes] of sizes) if (name === '.rodata.tf_weights' || name.startsWith('.rodata.tf_weights.')) total += bytes;
  return total;
}
