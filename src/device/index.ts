export { runOnBoard, type BoardRunOptions } from './emulator.ts';
export { runOnHost, type HostRun, type HostRunOptions } from './host.ts';
export { parseHarnessOutput, type BoardRun, type CaseResult, type LayerTiming } from './harness-output.ts';
