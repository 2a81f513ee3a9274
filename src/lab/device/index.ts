// SPDX-License-Identifier: Apache-2.0
export { runOnBoard, runCases, type BoardRunOptions, type BoardRun, type CaseResult, type LayerTiming } from './emulator.ts';
export { DeviceSession, withSession, type SessionOptions, type LayerCounters, type Calibration } from './session.ts';
export { runOnHost, type HostRun, type HostRunOptions } from './host.ts';
export { flashImage, flashEmulatedBoard, loadImage, type FlashReport } from './stm32/index.ts';
export { flashSwd, type SwdFlashOptions, type SwdFlashReport } from './swd/flash.ts';
export { flashWithOpenOcd, type OpenOcdOptions, type OpenOcdReport } from './swd/openocd.ts';
export { parseProbe, type ProbeSpec } from './swd/probe.ts';
export { swdChipOf, type SwdChip } from './swd/chips.ts';
