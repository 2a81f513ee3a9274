// SPDX-License-Identifier: Apache-2.0
export { buildFirmware, type BuildOptions, type BuildResult } from './firmware.ts';
export type { FirmwareSizes } from './sizes.ts';
export {
  boardOf,
  findBoard,
  listTargets,
  loadTarget,
  smallestPartRam,
  type BoardDescriptor,
  type CounterSpec,
  type TargetDescriptor,
} from '../../core/targets/targets.ts';
export { findTool } from './toolchain.ts';
export { compileForEveryTarget, type GateInput, type GateOptions, type GateResult, type GateTargetResult } from './gate.ts';
