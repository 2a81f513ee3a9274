// SPDX-License-Identifier: Apache-2.0
import type { Graph, Op } from '../ir/graph.ts';
import type { TensorBuffer } from '../ir/buffers.ts';
import type { LayerEmission } from './layer_code.ts';

export type { LayerCode, LayerEmission } from './layer_code.ts';

/**
 * The instruction-set facts kernels are specialised for (a target descriptor's `isa`). Codegen picks
 * a kernel variant from them at compile time; absent means the portable C variant only.
 */
export interface KernelIsa {
  /**
   * The core, as the target descriptor's `cpu` names it (GCC's -mcpu: `cortex-m4`, `cortex-m7`,
   * `cortex-m33`, `cortex-m0plus`, ...): tunes a variant to the timings of one core of its family
   * (common/isa/dsp_conv/choice.ts loadsPipeline); absent: no core's tuning
   */
  core?: string;
  /** Armv7E-M / Armv8-M DSP extension: SXTB16, SMLAD, SMMULR, SSAT */
  dsp: boolean;
  /** Armv6-M (Cortex-M0+, the RP2040): Thumb-1 only, few registers, single-cycle multiplier */
  armv6m?: boolean;
  /** RV32IMC (the ESP32-C3 class): 31 registers, a single-cycle multiplier, no SIMD, compressed code */
  rv32?: boolean;
  /** Armv8.1-M MVE (Helium, Cortex-M55/M85): 128-bit integer vectors, tail predication, low-overhead loops; the DSP extension too */
  mve?: boolean;
  /** Xtensa LX6/LX7 (the ESP32 and ESP32-S3): zero-overhead loops (LOOP/LOOPNEZ), 16 visible registers of the windowed ABI */
  xtensa?: boolean;
  /** Xtensa MAC16 option (XCHAL_HAVE_MAC16): the 40-bit accumulator ACC, MULA.DD with loads into M0..M3 */
  mac16?: boolean;
  /** the ESP32-S3's SIMD extension (PIE): eight 128-bit q registers, the 40-bit ACCX accumulator, `ee.*` instructions */
  s3simd?: boolean;
}

/**
 * The instruction-set families kernel variants are written for. A target belongs to exactly one
 * (`isaFamily`); a variant of family F runs only on targets of family F, the portable C anywhere.
 */
export type IsaFamily = 'arm-mve' | 'arm-dsp' | 'armv6m' | 'rv32' | 'xtensa-s3' | 'xtensa' | 'portable';

export function isaFamily(isa: KernelIsa | undefined): IsaFamily {
  if (isa?.mve) return 'arm-mve';
  if (isa?.dsp) return 'arm-dsp';
  if (isa?.armv6m) return 'armv6m';
  if (isa?.rv32) return 'rv32';
  if (isa?.s3simd) return 'xtensa-s3';
  if (isa?.xtensa) return 'xtensa';
  return 'portable';
}

/**
 * The family an ISA family's targets also run, where it has no kernel of its own for a layer: an
 * MVE core has the DSP extension, so an op without an MVE variant runs its Arm DSP one, not the
 * portable C.
 */
const FALLBACK_FAMILY: Partial<Record<IsaFamily, IsaFamily>> = { 'arm-mve': 'arm-dsp', 'xtensa-s3': 'xtensa' };

/** The families whose variants run on the target, most specific first (the last one's before the portable C). */
export function familyChain(isa: KernelIsa | undefined): IsaFamily[] {
  const chain = [isaFamily(isa)];
  for (let next = FALLBACK_FAMILY[chain[0]!]; next; next = FALLBACK_FAMILY[next]) chain.push(next);
  return chain;
}

/**
 * The family whose measured costs price a family's storage kernels (Huffman, palette, sparse, INT4)
 * and portable C: the MVE targets run the Arm DSP ones, at the DSP extension's speed; the Xtensa
 * targets run the portable C of those storages, priced as such.
 */
export type PricedFamily = Exclude<IsaFamily, 'arm-mve' | 'xtensa-s3' | 'xtensa'>;

export function pricingFamily(family: IsaFamily): PricedFamily {
  if (family === 'xtensa-s3' || family === 'xtensa') return 'portable';
  return family === 'arm-mve' ? 'arm-dsp' : family;
}

/**
 * What a variant's eligibility may read besides the layer's own parameters: the compile's facts, the
 * same ones emit sees (`LayerEmitContext.isa`, `.prefer`), fixed for the whole compile. Eligibility
 * reads them here rather than from flags written into the shared parameters.
 */
export interface VariantFacts {
  isa: KernelIsa | undefined;
  /** what the compile weighs first (absent on the command line: speed) */
  prefer: Prefer;
  /** the model's facts (prepare.ts prepareGraph); absent: a layer prepared alone */
  graph?: GraphFacts;
}

/**
 * What one layer's kernel choice reads about the rest of the model: computed once per graph, before
 * its layers are prepared (prepare.ts prepareGraph), so that every layer's eligibility, scratch and
 * emitted code read the same value.
 */
export interface GraphFacts {
  /**
   * a 1x1 CONV_2D layer of the model reaches 64 values per output, so the Arm DSP `pairs` instance is
   * in its code and its smaller 1x1 layers share it (common/isa/dsp_conv/choice.ts PAIRS_MIN_K4_POINTWISE_SHARED)
   */
  pointwisePairs: boolean;
}

/** Where the output may overlap an input: see `KernelVariant.overlap`. */
export interface OverlapRule {
  input: number;
  gap: number;
  /**
   * the output may share the input's bytes only starting where the input starts (gap 0 and no other
   * offset): a kernel that writes each element over the same channel of the input, read in groups of
   * channels before any of a group is written (depthwise_conv_2d/dsp_planes.ts, tf_dwk_gplane_body)
   */
  exact?: boolean;
}

/**
 * One kernel of an op for one ISA family: everything the planner and codegen need to know about the
 * code that runs a layer, decided once per layer (`OpDef.selectVariant`). An op lists its target
 * variants in `OpDef.variants`; the portable C (the op's own `emitC`) is the variant of last resort.
 */
export interface KernelVariant<P = any> {
  /** short name, shown in the layer's comment and by inspect/profile: `arm-dsp`, `armv6m packed`, ... */
  name: string;
  family: IsaFamily;
  /** whether it covers this layer (shape, quantization) on this compile; only asked on targets of its family */
  applies(p: P, facts: VariantFacts): boolean;
  /** bytes of scratch it needs while it runs (default 0), on this compile (the Arm DSP bands' by core) */
  scratchBytes?(p: P, facts: VariantFacts): number;
  /**
   * The output may overlap input `input` (when that input dies at this op): the kernel stays correct
   * when the input starts `gap` or more bytes after the output's start (gap 0: exactly in place);
   * `exact`, only when both start at the same byte. The planner then places both in one buffer of
   * max(output, gap + input) bytes.
   */
  overlap?(p: P): OverlapRule | undefined;
  /**
   * The C for one layer, defining `static void <ctx.fnName>(void)`: text, or the layer as data
   * (layer_code.ts: its parameter structs and its kernel call), which codegen prints and the
   * row-band stage edits into its band instances
   */
  emit(p: P, ctx: LayerEmitContext): LayerEmission;
  /**
   * The C files the emitted code needs, relative to `src/core/ops` (`conv_2d/conv_2d_dsp.h`); each file
   * includes what it needs itself, and codegen copies exactly these and their includes. The shared
   * helpers of `common/` (fixed-point, gemmlowp, ...) need not be listed: they are included when the
   * emitted code names them.
   */
  cFiles?: readonly string[];
  /**
   * The C files one layer needs beyond `cFiles`, where its params decide them: a DEPTHWISE_CONV_2D
   * layer over one input channel with dilated rows runs CONV_2D's im2col kernels, which the model's
   * other depthwise layers do not ship.
   */
  layerCFiles?(p: P): readonly string[];
  /**
   * Multiply-accumulates this kernel executes for one evaluation, when that is not the op's dense
   * count (`OpDef.macs`): a sparse kernel skips the zero weights, so it counts its stored entries.
   * Reports ask it through `executedMacs` (prepare.ts).
   */
  macs?(p: P): number;
  /**
   * A storage of the weights other than dense int8 (`sparse`, `int4`, ...): the name inspect shows.
   * Variants with a `storage` are alternatives the chooser (encoding_choice.ts) weighs by `cost`.
   */
  storage?: string;
  /**
   * What this variant stores and runs (encoding_choice.ts): bytes of weights + tables + indices in
   * flash, and estimated instructions (RP2040: cycles) per inference on a target of `isa`'s family,
   * from measured per-element costs. A variant with `cost` is a storage alternative to the dense
   * default, chosen per layer by `--prefer size|speed`.
   */
  cost?(p: P, isa: KernelIsa | undefined): EncodingCost;
  /**
   * The kernel requantizes a layer that must match ONNX Runtime (prepared `ortScale`) by its family's
   * float32 epilogue, bit-exact with the portable C (common/numerics/requant_f32.h); layers of that
   * arithmetic take only variants that say so.
   */
  ortExact?: boolean;
  /**
   * The variant spends arena (more scratch) for speed over the next variant of its family that
   * covers the layer: a compile without a budget keeps it only where that pays (plan/fast_forms.ts).
   */
  arenaForSpeed?: boolean;
}

/** A kernel variant's price (KernelVariant.cost, OpDef.denseCost). */
export interface EncodingCost {
  flashBytes: number;
  instructions: number;
}

/** What wins when storages compete (`--prefer`): the fewest instructions not bigger than dense, or the fewest bytes. */
export type Prefer = 'size' | 'speed';

/**
 * Which weight storages a compile may choose among (CompileOptions.kernels): every one by default.
 * Turning one off measures what it saves; forcing the sparse one, or one of its forms, tests its
 * kernels. The command line sets them with `--sparse-kernels`, `--no-entropy`, ... and the
 * TINYFORGE_* variables (docs/kernels.md); generated files record any that differs from the default.
 */
export interface KernelChoices {
  /** sparse storages: `auto` (the cost model decides, the default), `off` (dense everywhere), `force` (sparse wherever it applies) */
  sparse?: 'off' | 'auto' | 'force';
  /** only this form of the CONV_2D / DEPTHWISE_CONV_2D sparse kernels (common/codecs/sparse_taps.ts); absent: both */
  sparseForm?: 'groups' | 'offsets';
  /** Huffman-coded weights (fully_connected/huffman.ts, conv_2d/huffman.ts); default on */
  entropy?: boolean;
  /** palette (look-up table) weights (common/codecs/palette.ts); default on */
  palette?: boolean;
  /** int4-packed weights for int4-valued layers (common/codecs/int4.ts); default on */
  int4?: boolean;
}

/**
 * What codegen hands an op when it lowers one layer to C. Pointer expressions are ready to use and
 * already typed (e.g. `((int8_t *)(tf_kws_arena + TF_KWS_T12_CONV1_RELU))`, an arena offset named after the
 * tensor, or the name of a const weight array).
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
  addConst(suffix: string, ctype: 'int8_t' | 'int16_t' | 'int32_t' | 'uint8_t' | 'uint16_t' | 'float', values: ArrayLike<number>, align?: 16): string;
  /** renders a handlebars template that lives beside the op (path relative to the op's folder) */
  render(templatePath: string, view: object): string;
  /** the target's ISA, for tuning inside one variant (unroll factors); variants are picked by selectVariant */
  isa?: KernelIsa;
  /**
   * What the compile weighs first (`--prefer`; absent: speed). Under `size` a variant whose code has
   * a larger fast form (an assembly routine unrolled or pipelined, a second copy of its weights) keeps
   * the compact one, as selectVariant keeps the 1-byte weight storages.
   */
  prefer?: Prefer;
  /**
   * File-scope C shared by several layers (a kernel body instantiated once per model and mode):
   * emitted once, before the first layer that asks for it under this key.
   */
  defineOnce(key: string, code: string): void;
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
  /**
   * `kernels`: the weight storages the compile allows (absent: all); ops without any ignore it.
   * `facts`: the compile's target and `--prefer` (absent: no target, speed), for a choice a variant's
   * scratch or emitter reads from the params as well as its `applies`: made here once, so selection
   * never writes to the params.
   */
  prepare(graph: Graph, op: Op, kernels?: KernelChoices, facts?: VariantFacts): P;
  /** multiply-accumulates of one evaluation (0 for data movement) */
  macs(graph: Graph, op: Op): number;
  /** the bit-exact reference kernel; absent optional inputs are `undefined` */
  evaluate(p: P, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]): void;
  /** The portable C variant (runs on every target): scratch, overlap rule, emitter and C files. */
  scratchBytes?(p: P): number;
  overlap?(p: P): OverlapRule | undefined;
  /** the C for one layer: must define `static void <ctx.fnName>(void)` */
  emitC(p: P, ctx: LayerEmitContext): string;
  cFiles?: readonly string[];
  /** The target variants, in order of preference: the first of the target's family that applies runs. */
  variants?: readonly KernelVariant<P>[];
  /**
   * The one decision of which kernel runs a layer on a target (default `selectVariant` in
   * variant.ts: the first of `variants` of the target's family that applies, else the portable C).
   */
  selectVariant?(p: P, isa: KernelIsa | undefined, prefer?: Prefer, kernels?: KernelChoices): KernelVariant<P>;
  /**
   * The dense default's price on `isa`'s family (weight bytes, estimated instructions): what storage
   * variants with `cost` are weighed against (encoding_choice.ts). Without it, or where it returns
   * undefined (a layer its int8 dense kernels do not run: int16, float32, an int32 output), the dense
   * default runs and is priced by its MACs (layer_cost.ts).
   */
  denseCost?(p: P, isa: KernelIsa | undefined, prefer?: Prefer): EncodingCost | undefined;
  /** the output is the input's bytes under another shape: planned as one buffer, no code emitted */
  isAlias?: boolean;
  /**
   * The op runs float32 layers (a float kernel: common/families/float_variant.ts, or an op that is
   * float32 only). An op without it that reads or writes a float32 tensor is refused
   * (passes/validate.ts, rejectFloatOps); QUANTIZE, DEQUANTIZE and CAST convert and need none.
   */
  floatKernel?: boolean;
  /**
   * State the op keeps from one invocation to the next besides its tensors: what TFLite Micro's
   * signal ops allocate in Prepare (a frame's circular buffer, a noise estimate). The compiler adds
   * each as a variable tensor after the op's own inputs (passes/op_state.ts), so the planner keeps
   * it for the whole run and init/reset zero it, as TFLite Micro's Reset does. `check` and
   * `prepare` see the graph with these inputs added; `evaluate` and the emitted C update them.
   */
  state?(graph: Graph, op: Op): OpStateSpec[];
}

/** One piece of an op's persistent state (`OpDef.state`): zero at init and after a reset. */
export interface OpStateSpec {
  /** appended to the op's first output's name: `<output>/<name>` */
  name: string;
  dtype: 'int8' | 'uint8' | 'int16' | 'int32' | 'uint32' | 'uint64' | 'float32';
  shape: number[];
}
