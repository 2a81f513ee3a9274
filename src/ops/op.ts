import type { Graph, Op } from '../ir/graph.ts';
import type { TensorBuffer } from '../ir/buffers.ts';

/**
 * The instruction-set facts kernels are specialised for (a target descriptor's `isa`). Codegen picks
 * a kernel variant from them at compile time; absent means the portable C variant only.
 */
export interface KernelIsa {
  /** Armv7E-M / Armv8-M DSP extension: SXTB16, SMLAD, SMMULR, SSAT */
  dsp: boolean;
  /** Armv6-M (Cortex-M0+, the RP2040): Thumb-1 only, few registers, single-cycle multiplier */
  armv6m?: boolean;
}

/** The portable variant: no ISA extension assumed. */
export const PORTABLE_ISA: KernelIsa = { dsp: false };

/**
 * What codegen hands an op when it lowers one layer to C. Pointer expressions are ready to use and
 * already typed (e.g. `((int8_t *)(tf_arena + 256))` or the name of a const weight array).
 */
export interface LayerEmitContext {
  graph: Graph;
  op: Op;
  /** the name of the static function the op must define: `static void <fnName>(void)` */
  fnName: string;
  /** symbol prefix of the model (C identifier), for any file-scope names the op adds */
  prefix: string;
  /** C expression pointing at input i; constant tensors become const arrays the first time asked */
  input(i: number): string;
  /** C expression pointing at output i */
  output(i: number): string;
  /** C expression pointing at this layer's scratch buffer (`scratchBytes` bytes, 16-byte aligned) */
  scratch(): string;
  /**
   * Adds a const table in flash beside the weights (per-channel multipliers, re-arranged weights)
   * and returns its symbol. `suffix` must be unique within the layer.
   */
  addConst(suffix: string, ctype: 'int8_t' | 'int16_t' | 'int32_t' | 'uint8_t', values: ArrayLike<number>): string;
  /** renders a handlebars template that lives beside the op (path relative to the op's folder) */
  render(templatePath: string, view: object): string;
  /** the target's ISA: picks the kernel variant (absent: the portable C variant) */
  isa?: KernelIsa;
}

/**
 * One builtin op: its rules, its compile-time preparation, its reference kernel and its C lowering.
 * `prepare` computes every fixed-point parameter once (TFLite Micro's Prepare); `evaluate` and the
 * emitted C only run plain integer loops over what `prepare` produced.
 */
export interface OpDef<P = any> {
  kind: string;
  /** the folder holding the op's templates (pass `import.meta.dirname`) */
  dir: string;
  /** throws OpError when dtypes, shapes or attributes are not supported */
  check(graph: Graph, op: Op): void;
  prepare(graph: Graph, op: Op): P;
  /** multiply-accumulates of one evaluation (0 for data movement) */
  macs(graph: Graph, op: Op): number;
  /** bytes of scratch the C kernel (the variant chosen for `isa`) needs while it runs (default 0) */
  scratchBytes?(p: P, isa?: KernelIsa): number;
  /**
   * The output may overlap input `input` (when that input dies at this op): the kernel stays correct
   * when the input starts `gap` or more bytes after the output's start (gap 0: exactly in place).
   * The planner then places both in one buffer of max(output, gap + input) bytes.
   */
  overlap?(p: P, isa?: KernelIsa): { input: number; gap: number } | undefined;
  /** the bit-exact reference kernel; absent optional inputs are `undefined` */
  evaluate(p: P, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]): void;
  /** the C for one layer: must define `static void <ctx.fnName>(void)` */
  emitC(p: P, ctx: LayerEmitContext): string;
  /** the output is the input's bytes under another shape: planned as one buffer, no code emitted */
  isAlias?: boolean;
}
