// SPDX-License-Identifier: Apache-2.0
/**
 * The compile's choices among weight storages and passes (core/ops/op.ts KernelChoices,
 * CompileOptions.deadNeurons): flags on compile, inspect, run, profile, validate and flash, with
 * the TINYFORGE_* variables as their defaults (measurements and scripts set those). The core reads
 * no environment: this is the one place the variables are read.
 */
import { type Command, Option } from 'commander';
import type { KernelChoices, Prefer } from '../../core/ops/op.ts';
import { type OnnxBindings, bindingsOf } from '../../core/model/onnx/bind.ts';
import { type OnnxLayout, ONNX_LAYOUTS } from '../../core/model/onnx/edge_layout.ts';

/** What the flags leave in a command's options (commander's `--no-x` gives `x: false`). */
export interface ChoiceFlags {
  prefer?: Prefer;
  sparseKernels?: 'off' | 'auto' | 'force';
  sparseForm?: 'groups' | 'offsets';
  entropy?: boolean;
  paletteKernels?: boolean;
  int4Kernels?: boolean;
  deadNeurons?: boolean;
  onnxRequant?: 'exact' | 'fixed';
  onnxLayout?: OnnxLayout;
  /** `--bind NAME=FILE`, each as given */
  bind?: string[];
}

/** The choices the compile options carry: prefer, kernels, deadNeurons, onnxRequant, onnxLayout, bind. */
export interface CompileChoices {
  prefer?: Prefer;
  kernels?: KernelChoices;
  deadNeurons?: boolean;
  onnxRequant?: 'exact' | 'fixed';
  onnxLayout?: OnnxLayout;
  bind?: OnnxBindings;
}

/** The flags, with what each one measures or tests. */
export function choiceOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--sparse-kernels <mode>',
        'sparse weight storages: auto (the cost model decides per layer), off (dense everywhere), force (sparse wherever it applies); default auto, or TINYFORGE_SPARSE_KERNELS',
      ).choices(['off', 'auto', 'force']),
    )
    .addOption(
      new Option('--sparse-form <form>', 'only this form of the CONV_2D / DEPTHWISE_CONV_2D sparse kernels (default both, or TINYFORGE_SPARSE_FORM)').choices([
        'groups',
        'offsets',
      ]),
    )
    .option('--no-entropy', 'no Huffman-coded weights (TINYFORGE_ENTROPY=off)')
    .option('--no-palette-kernels', 'no palette (look-up table) weights (TINYFORGE_PALETTE_KERNELS=off)')
    .option('--no-int4-kernels', 'no int4-packed weights: int4-valued layers run the int8 kernels (TINYFORGE_INT4_KERNELS=off)')
    .option('--no-dead-neurons', 'keep the neurons no output depends on (TINYFORGE_DEAD_NEURONS=off)')
    .addOption(
      new Option(
        '--onnx-requant <mode>',
        "layers of an ONNX model: exact (ONNX Runtime's float32 requantization, bit-exact with it) or fixed (TFLite's fixed point: faster, no float, within 1 LSB); default exact, or TINYFORGE_ONNX_REQUANT",
      ).choices(['exact', 'fixed']),
    )
    .addOption(
      new Option(
        '--onnx-layout <layout>',
        "an ONNX model's inputs and outputs at the C API: channels-last (NHWC / NWC, no transpose on the board) or as-exported (ONNX's NCHW); default channels-last, or TINYFORGE_ONNX_LAYOUT (docs/onnx.md)",
      ).choices([...ONNX_LAYOUTS]),
    )
    .option(
      '--bind <name=file>',
      "an ONNX graph input that is a constant (a scale, a zero point, weights): its value from FILE (.pb TensorProto, .npy, or raw bytes in the input's declared type and shape); the model takes the other inputs; repeatable (docs/onnx.md)",
      (value: string, previous: string[] = []) => [...previous, value],
    );
}

/** The kernel-choice flags given on the command line (the ones a prebuilt image cannot honour). */
export function choiceFlagsGiven(opts: ChoiceFlags): string[] {
  return [
    ...(opts.sparseKernels !== undefined ? ['--sparse-kernels'] : []),
    ...(opts.sparseForm !== undefined ? ['--sparse-form'] : []),
    ...(opts.entropy === false ? ['--no-entropy'] : []),
    ...(opts.paletteKernels === false ? ['--no-palette-kernels'] : []),
    ...(opts.int4Kernels === false ? ['--no-int4-kernels'] : []),
    ...(opts.deadNeurons === false ? ['--no-dead-neurons'] : []),
    ...(opts.onnxRequant !== undefined ? ['--onnx-requant'] : []),
    ...(opts.onnxLayout !== undefined ? ['--onnx-layout'] : []),
    ...(opts.bind !== undefined ? ['--bind'] : []),
  ];
}

/** The TINYFORGE_* variables as choices; values they do not know are ignored. */
export function choicesFromEnvironment(env: NodeJS.ProcessEnv = process.env): ChoiceFlags {
  const prefer = env.TINYFORGE_PREFER;
  const sparse = env.TINYFORGE_SPARSE_KERNELS;
  const form = env.TINYFORGE_SPARSE_FORM;
  return {
    ...(prefer === 'size' || prefer === 'speed' ? { prefer } : {}),
    ...(sparse === 'off' || sparse === 'auto' || sparse === 'force' ? { sparseKernels: sparse } : {}),
    ...(form === 'groups' || form === 'offsets' ? { sparseForm: form } : {}),
    ...(env.TINYFORGE_ENTROPY === 'off' ? { entropy: false } : {}),
    ...(env.TINYFORGE_PALETTE_KERNELS === 'off' ? { paletteKernels: false } : {}),
    ...(env.TINYFORGE_INT4_KERNELS === 'off' ? { int4Kernels: false } : {}),
    ...(env.TINYFORGE_DEAD_NEURONS === 'off' ? { deadNeurons: false } : {}),
    ...(env.TINYFORGE_ONNX_REQUANT === 'exact' || env.TINYFORGE_ONNX_REQUANT === 'fixed' ? { onnxRequant: env.TINYFORGE_ONNX_REQUANT } : {}),
    ...(env.TINYFORGE_ONNX_LAYOUT === 'channels-last' || env.TINYFORGE_ONNX_LAYOUT === 'as-exported' ? { onnxLayout: env.TINYFORGE_ONNX_LAYOUT } : {}),
  };
}

/**
 * The choices a command compiles with: a flag given wins, else its variable, else the default. Only
 * what differs from the default is set, so a default compile's options (and banner) stay as they were.
 */
export function compileChoicesOf(flags: ChoiceFlags, env: NodeJS.ProcessEnv = process.env): CompileChoices {
  const fromEnv = choicesFromEnvironment(env);
  const prefer = flags.prefer ?? fromEnv.prefer;
  const sparse = flags.sparseKernels ?? fromEnv.sparseKernels;
  const sparseForm = flags.sparseForm ?? fromEnv.sparseForm;
  // `--no-x` leaves true when not given: only false says anything
  const off = (flag: boolean | undefined, variable: boolean | undefined) => flag === false || variable === false;
  const kernels: KernelChoices = {
    ...(sparse && sparse !== 'auto' ? { sparse } : {}),
    ...(sparseForm ? { sparseForm } : {}),
    ...(off(flags.entropy, fromEnv.entropy) ? { entropy: false } : {}),
    ...(off(flags.paletteKernels, fromEnv.paletteKernels) ? { palette: false } : {}),
    ...(off(flags.int4Kernels, fromEnv.int4Kernels) ? { int4: false } : {}),
  };
  return {
    ...(prefer ? { prefer } : {}),
    ...(Object.keys(kernels).length > 0 ? { kernels } : {}),
    ...(off(flags.deadNeurons, fromEnv.deadNeurons) ? { deadNeurons: false } : {}),
    ...((flags.onnxRequant ?? fromEnv.onnxRequant) === 'fixed' ? { onnxRequant: 'fixed' as const } : {}),
    ...((flags.onnxLayout ?? fromEnv.onnxLayout) === 'as-exported' ? { onnxLayout: 'as-exported' as const } : {}),
    ...(flags.bind && flags.bind.length > 0 ? { bind: bindingsOf(flags.bind) } : {}),
  };
}

/** `compile --json`'s `choices`: every choice as the compile made it, defaults included (docs/json-output.md). */
export function choicesJson(choices: CompileChoices) {
  const k = choices.kernels ?? {};
  return {
    prefer: choices.prefer ?? null,
    sparseKernels: k.sparse ?? 'auto',
    sparseForm: k.sparseForm ?? null,
    entropy: k.entropy !== false,
    paletteKernels: k.palette !== false,
    int4Kernels: k.int4 !== false,
    deadNeurons: choices.deadNeurons !== false,
  };
}
