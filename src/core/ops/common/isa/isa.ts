// SPDX-License-Identifier: Apache-2.0
/**
 * One C header per ISA family (as TinyMaix's arch_*.h): `arm_dsp.h`, `armv6m.h`, `rv32.h` and
 * `portable.h` each define the same primitives (tf_smlad, tf_ssat8, tf_read4, tf_smmulr, ...), as
 * instructions where the family has them and as portable.h's plain C where it has not. A kernel that
 * several families share includes `isa.h`; codegen (c_files.ts) replaces that include by the target
 * family's header, so a generated model ships its own family's files and no other's.
 */
import type { IsaFamily } from '../../op.ts';

/** What a shared kernel includes to get its target's primitives. */
export const ISA_SELECTOR = 'isa.h';

/** The family header `isa.h` stands for in a model of that family. */
export const ISA_HEADERS: Record<IsaFamily, string> = {
  'arm-mve': 'arm_helium.h',
  'arm-dsp': 'arm_dsp.h',
  armv6m: 'armv6m.h',
  rv32: 'rv32.h',
  // the S3 runs the Xtensa family's kernels where its SIMD has none, so it ships their primitives; its SIMD kernels include their own header
  'xtensa-s3': 'xtensa.h',
  xtensa: 'xtensa.h',
  portable: 'portable.h',
};

/**
 * The files of common/isa/ that belong to one family (its header and its building blocks): a model
 * of another family never ships them. portable.h is every family's base, so it belongs to none.
 */
export const ISA_FAMILY_FILES: Record<Exclude<IsaFamily, 'portable'>, readonly string[]> = {
  'arm-mve': ['arm_helium.h', 'mve_matmul.h'],
  'arm-dsp': ['arm_dsp.h', 'dsp_requant.h'],
  armv6m: ['armv6m.h', 'm0plus_rq.h', 'm0plus_mac.h', 'm0plus_mac.S'],
  rv32: ['rv32.h'],
  'xtensa-s3': ['xtensa_s3_simd.h', 'xtensa_s3_dot.h'],
  xtensa: ['xtensa.h'],
};

/** The common/isa/ files a model of `family` may ship: its own and those of the families it falls back to. */
export function familyFiles(family: IsaFamily): readonly string[] {
  if (family === 'portable') return [ISA_HEADERS.portable];
  if (family === 'arm-mve') return [...ISA_FAMILY_FILES['arm-mve'], ...ISA_FAMILY_FILES['arm-dsp']];
  if (family === 'xtensa-s3') return [...ISA_FAMILY_FILES['xtensa-s3'], ...ISA_FAMILY_FILES.xtensa];
  return ISA_FAMILY_FILES[family];
}

export function isaHeader(family: IsaFamily): string {
  return ISA_HEADERS[family];
}
