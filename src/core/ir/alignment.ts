// SPDX-License-Identifier: Apache-2.0
/** Byte alignment shared by the planner and the ops that lay out their own buffers (the band stage). */

/** Arena offsets are aligned so any tensor can be read with word loads. */
export const ARENA_ALIGNMENT = 16;

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}
