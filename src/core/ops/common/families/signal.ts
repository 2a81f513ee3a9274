// SPDX-License-Identifier: Apache-2.0
/**
 * What TFLite Micro's signal-library ops share: they are custom ops (`CUSTOM:Signal<Name>`) whose
 * parameters are a FlexBuffers map in the operator's custom options, with fixed tensor types
 * (int16 samples, uint32/uint64 energies, int32 scales) and no quantization parameters. Each check
 * names the op and the tensor or option at fault in one line.
 */
import { OpError } from '../../../errors.ts';
import { type DType, type Graph, type Op, type Tensor, elementCount } from '../../../ir/graph.ts';
import { type CustomOptionValue, decodeCustomOptions } from '../../../model/tflite/custom_options.ts';
import { requireInput, tensorLabel } from './weighted.ts';

/** The kind of a signal op as the reader names it (`CUSTOM:SignalWindow`). */
export function signalKind(name: string): string {
  return `CUSTOM:${name}`;
}

/** The op's options map; an op without custom options has none (every option then takes its default). */
export function signalOptions(op: Op): Record<string, CustomOptionValue> {
  const bytes = op.attrs.customOptions;
  if (bytes === undefined) return {};
  if (!(bytes instanceof Uint8Array)) throw new OpError(op.index, op.kind, 'custom options must be bytes');
  try {
    return decodeCustomOptions(bytes);
  } catch (e) {
    throw new OpError(op.index, op.kind, (e as Error).message);
  }
}

/** An integer option within [lo, hi]; `fallback` when absent (undefined: the option is required). */
export function intOption(op: Op, options: Record<string, CustomOptionValue>, name: string, lo: number, hi: number, fallback?: number): number {
  const v = options[name];
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new OpError(op.index, op.kind, `custom option '${name}' is missing`);
  }
  const n = typeof v === 'boolean' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < lo || n > hi)
    throw new OpError(op.index, op.kind, `custom option '${name}' is ${JSON.stringify(v)}; expected an integer in ${lo}..${hi}`);
  return n;
}

/** A boolean option (FlexBuffers writes bools, converters sometimes ints); `fallback` when absent. */
export function boolOption(op: Op, options: Record<string, CustomOptionValue>, name: string, fallback = false): boolean {
  const v = options[name];
  if (v === undefined) return fallback;
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  throw new OpError(op.index, op.kind, `custom option '${name}' is ${JSON.stringify(v)}; expected true or false`);
}

/** The tensor at input `position`, of `dtype`. */
export function signalInput(graph: Graph, op: Op, position: number, role: string, dtype: DType): Tensor {
  const t = requireInput(graph, op, position, role);
  requireDType(op, t, role, dtype);
  return t;
}

/** The tensor at output `position`, of `dtype`. */
export function signalOutput(graph: Graph, op: Op, position: number, role: string, dtype: DType): Tensor {
  const index = op.outputs[position];
  const t = index === undefined ? undefined : graph.tensors[index];
  if (!t) throw new OpError(op.index, op.kind, `missing ${role} (output ${position})`);
  requireDType(op, t, role, dtype);
  return t;
}

export function requireDType(op: Op, t: Tensor, role: string, dtype: DType): void {
  if (t.dtype !== dtype) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is ${t.dtype}; TFLite Micro's kernel takes ${dtype}`);
}

/** Exactly `inputs` inputs from the file (plus the state the compiler appends) and `outputs` outputs. */
export function requireArity(op: Op, inputs: number, outputs: number, stateTensors = 0): void {
  const fileInputs = op.inputs.length === inputs + stateTensors ? inputs : op.inputs.length;
  if (fileInputs !== inputs) throw new OpError(op.index, op.kind, `expected ${inputs} input${inputs === 1 ? '' : 's'}, got ${fileInputs}`);
  if (op.outputs.length !== outputs) throw new OpError(op.index, op.kind, `expected ${outputs} output${outputs === 1 ? '' : 's'}, got ${op.outputs.length}`);
}

/** Element count of a tensor. */
export function elements(t: Tensor): number {
  return elementCount(t.shape);
}

/** The size of the innermost dimension (1 for a scalar). */
export function innerSize(t: Tensor): number {
  return t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1]!;
}
