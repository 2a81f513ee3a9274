// SPDX-License-Identifier: Apache-2.0
/**
 * What a kernel costs per MAC, for the choices the compiler makes without running the model: the
 * measured facts that layer_cost.ts, the one price of a layer every such choice reads, is made of
 * (and the ops' dense prices, encoding_choice.ts). The figures are the medians of the perf
 * sweep (`npm run bench -- --sweep`, docs/kernels.md): instructions per MAC on the emulated
 * Cortex-M4 and ESP32-C3, cycles per MAC on the RP2040, for the family kernels and for the portable
 * C on the same targets. They rank schedules; they do not promise a latency (the timing model of
 * src/lab/estimate does, docs/timing.md).
 */
import { type IsaFamily, pricingFamily } from './op.ts';

type CostRow = Partial<Record<IsaFamily, number>>;

/**
 * Per op: the family kernel's cost per MAC on its family, and (`portable`) the portable C's cost on
 * each family. Ops absent here have no family kernel, so no choice to price.
 */
const FAMILY_KERNEL: Record<string, CostRow> = {
  // arm-mve: the emulated Cortex-M55's instructions per MAC (docs/kernels.md, Cortex-M55/M85 section);
  // xtensa: the ESP32's on qemu-xtensa-sim (docs/kernels.md, Xtensa section);
  // xtensa-s3: counted from the disassembly, not run (QEMU has no ee.*): docs/boards/esp32.md, Kernels
  // armv6m: the RP2040's cycles per MAC on rp2040js, generated layers (conv 1x1 32 -> 64 on 12x12 4.75,
  // 3x3 16 -> 32 3.8, 1x1 128 -> 128 on 6x6 3.6; depthwise 3x3 on 12x12x32 13.1; FC 256 -> 64 3.5, the
  // lanes kernel): the lower figures, so that another storage wins only where it beats the dense kernel
  CONV_2D: { 'arm-mve': 0.19, 'arm-dsp': 1.17, armv6m: 3.8, rv32: 4.1, 'xtensa-s3': 0.5, xtensa: 1.6 },
  DEPTHWISE_CONV_2D: { 'arm-dsp': 4.2, armv6m: 13.1, rv32: 8.6, xtensa: 9 },
  FULLY_CONNECTED: { 'arm-mve': 0.17, 'arm-dsp': 1.18, armv6m: 3.5, rv32: 3.8, 'xtensa-s3': 0.35, xtensa: 1.6 },
  UNIDIRECTIONAL_SEQUENCE_LSTM: { 'arm-dsp': 1.6, armv6m: 5.5, rv32: 4.5 },
  // per element (what `macs` counts for them)
  ADD: { armv6m: 23.1, rv32: 15.1 },
  SUB: { armv6m: 23.1, rv32: 15.1 },
  MUL: { armv6m: 35 },
  AVERAGE_POOL_2D: { 'arm-dsp': 4, armv6m: 10 },
  MAX_POOL_2D: { 'arm-dsp': 2.2, armv6m: 10 },
};

/**
 * Variants of one family that trade memory for speed, as a factor on the family kernel's cost:
 * DEPTHWISE_CONV_2D `arm-dsp padded-row channel quads` (depthwise_conv_2d/dsp_channel_quads.ts: a
 * padded copy of narrow maps' rows in its scratch, every pixel in place and in pairs) against
 * `arm-dsp channel quads` (the border through tap pointers), measured on VWW's 6x6x128 layers on the M4: 3.37 -> 3.29 instructions/MAC (4.17 ->
 * 3.93 estimated cycles/MAC; 12x12x64: 3.23 -> 3.20).
 */
const VARIANT_FACTOR: Record<string, Record<string, number>> = {
  DEPTHWISE_CONV_2D: { 'arm-dsp padded-row channel quads': 0.975 },
};

/** The portable C of the same ops on each family's target. */
const PORTABLE_ON: Record<string, CostRow> = {
  CONV_2D: { 'arm-dsp': 5.9, armv6m: 20.5, rv32: 8.4, portable: 5.9 },
  DEPTHWISE_CONV_2D: { 'arm-dsp': 19, armv6m: 49, rv32: 20.3, portable: 19 },
  FULLY_CONNECTED: { 'arm-dsp': 5.4, armv6m: 14, rv32: 7.1, portable: 5.4 },
  UNIDIRECTIONAL_SEQUENCE_LSTM: { 'arm-dsp': 5.4, armv6m: 14, rv32: 7.1, portable: 5.4 },
  ADD: { 'arm-dsp': 8, armv6m: 62, rv32: 17.8, portable: 8 },
  SUB: { 'arm-dsp': 8, armv6m: 62, rv32: 17.8, portable: 8 },
  MUL: { 'arm-dsp': 27, armv6m: 94, rv32: 24.2, portable: 27 },
  AVERAGE_POOL_2D: { 'arm-dsp': 12, armv6m: 22, rv32: 7.8, portable: 12 },
  MAX_POOL_2D: { 'arm-dsp': 12, armv6m: 30, rv32: 7.5, portable: 12 },
};

/**
 * How many times its Cortex-M4 instructions the portable C of `opKind` costs on a `targetFamily`
 * target (PORTABLE_ON): puts an M4 estimate of a portable kernel (the Huffman decoders') in the
 * target's unit, cycles on the RP2040, before it is weighed against the target's dense kernel.
 */
export function portableFromM4(opKind: string, targetFamily: IsaFamily): number {
  const m4 = PORTABLE_ON[opKind]?.['arm-dsp'];
  const there = PORTABLE_ON[opKind]?.[pricingFamily(targetFamily)];
  return m4 && there ? there / m4 : 1;
}

/** A cost for ops the tables do not list: only differences between two kernels matter. */
const UNLISTED = 4;

/**
 * Estimated instructions (cycles on the RP2040) per MAC of `opKind` run by a kernel of `kernelFamily`
 * on a `targetFamily` target; `variant`, the kernel's name, where a family's variants differ
 * (VARIANT_FACTOR).
 */
function costPerMac(opKind: string, kernelFamily: IsaFamily, targetFamily: IsaFamily, variant?: string): number {
  const portable = PORTABLE_ON[opKind]?.[pricingFamily(targetFamily)] ?? UNLISTED;
  if (kernelFamily === 'portable') return portable;
  // an MVE kernel not yet measured is priced as the DSP kernel it replaces
  const family = FAMILY_KERNEL[opKind]?.[kernelFamily] ?? FAMILY_KERNEL[opKind]?.[pricingFamily(kernelFamily)] ?? portable;
  return family * variantFactor(opKind, variant);
}

/** How a variant of a family kernel differs from the family's figure (VARIANT_FACTOR; 1 for the others). */
export function variantFactor(opKind: string, variant: string | undefined): number {
  return (variant !== undefined ? VARIANT_FACTOR[opKind]?.[variant] : undefined) ?? 1;
}

/**
 * The DSP CONV_2D kernels' cost per MAC against K, the MACs of one output (kH·kW·filter input
 * channels): a per-output part (records, requantization, the block's entry and stores) spread over K
 * MACs on top of the SMLAD loop's steady state, DSP_CONV_LOOP + DSP_CONV_PER_OUTPUT / K. Fitted to the
 * M4 sweep's instructions per MAC (within 0.05 from K = 8 to 128; the floor holds the widest layers).
 * One figure per op (its median, K ≈ 32) would price a 16-channel 1x1 layer's recomputed MACs a
 * third too low, which is what 1-row band stages recompute.
 */
const DSP_CONV_LOOP = 0.72;
const DSP_CONV_PER_OUTPUT = 14.6;
/** ... and no less than the deep layers measure (K 128-576: 0.85-0.90; the fit alone gives 0.75 at 576) */
const DSP_CONV_DEEP = 0.85;

/**
 * The DSP FULLY_CONNECTED kernels' cost per MAC against K (input features), the same form as the
 * conv's: the row loop's steady state plus a per-output part over K, measured on the emulated M4
 * (256/1024-wide rows, 64 outputs, dense int8): one row (the pairs kernels) 1.27 at K = 64, 1.06 at
 * 256, 0.98 at 1024; several rows (pairsb, which shares each weight word between two rows) 1.28,
 * 0.97, 0.92. The price is the lower of the two fits, so that another storage wins only where it is
 * faster than the dense kernel at its best.
 */
const DSP_FC_LOOP = { one: 0.964, rows: 0.894 };
const DSP_FC_PER_OUTPUT = { one: 19.6, rows: 24.6 };

/**
 * The RV32 CONV_2D kernels the same way, on the emulated ESP32-C3 (instructions per MAC, profiled
 * in a model): 3.72 at K = 32 (1x1 32 -> 64 on 12x12), 3.27 at 128 (1x1 128 -> 128 on 6x6), 3.85 at
 * 144 (3x3 16 -> 32 on 12x12, padded). The fit of the two 1x1 layers; the padded border costs more.
 */
const RV32_CONV_LOOP = 3.1;
const RV32_CONV_PER_OUTPUT = 20;

/** A dense layer's cost per MAC on `targetFamily`: the shape-aware DSP figures for CONV_2D (K) and FULLY_CONNECTED (K, rows), else `costPerMac`. */
export function denseCostPerMac(opKind: string, kernelFamily: IsaFamily, targetFamily: IsaFamily, shape: { k?: number; batches?: number } = {}): number {
  const k = shape.k ?? 0;
  if (k > 0 && kernelFamily === 'arm-dsp' && pricingFamily(targetFamily) === 'arm-dsp') {
    if (opKind === 'CONV_2D') return Math.max(DSP_CONV_DEEP, DSP_CONV_LOOP + DSP_CONV_PER_OUTPUT / k);
    if (opKind === 'FULLY_CONNECTED') {
      const rows = (shape.batches ?? 1) > 1 ? 'rows' : 'one';
      return DSP_FC_LOOP[rows] + DSP_FC_PER_OUTPUT[rows] / k;
    }
  }
  if (k > 0 && opKind === 'CONV_2D' && kernelFamily === 'rv32' && pricingFamily(targetFamily) === 'rv32') return RV32_CONV_LOOP + RV32_CONV_PER_OUTPUT / k;
  return costPerMac(opKind, kernelFamily, targetFamily);
}

/** What a layer's kernel costs per MAC: `costPerMac`, refined by the layer's shape where the cost varies most with it. */
export function layerCostPerMac(
  layer: { op: { kind: string }; variant: { family: IsaFamily; name?: string }; params: unknown },
  targetFamily: IsaFamily,
): number {
  const kind = layer.op.kind;
  if ((kind === 'CONV_2D' || kind === 'FULLY_CONNECTED') && (layer.variant.family === 'arm-dsp' || layer.variant.family === 'rv32')) {
    const p = layer.params as { kH?: number; kW?: number; filterInC?: number; inFeatures?: number; batches?: number };
    const k = kind === 'CONV_2D' ? (p.kH ?? 0) * (p.kW ?? 0) * (p.filterInC ?? 0) : (p.inFeatures ?? 0);
    if (k > 0) return denseCostPerMac(kind, layer.variant.family, targetFamily, { k, batches: p.batches });
  }
  return costPerMac(kind, layer.variant.family, targetFamily, layer.variant.name);
}

/**
 * How much slower than the per-MAC figure a layer runs when its channel counts are off the groups of
 * 4 the kernels' fast loops take (the figures are medians of shapes in whole groups). Measured on the
 * MNIST CNN's 14x14 layers, channel-pruned from 8/16 to 6/12 and 5/10 channels, per MAC against the
 * same layer at 8/16:
 * - RP2040 (Armv6-M kernels, cycles): DEPTHWISE_CONV_2D of multiplier 1, 15.2 at 8 channels (the
 *   4-channel loop), 36.3 at 6 and 42.3 at 5 (the any-multiplier loop, one lane of four used): x2.6;
 *   CONV_2D 12.1 (1 -> 8) and 9.6 (8 -> 16), 13.2 (1 -> 6) and 12.4 (6 -> 12): x1.2 for even counts
 *   off the groups; 21.0 (1 -> 5) and 19.6 (5 -> 10): x1.9 for an odd one.
 * - Cortex-M4 (Arm DSP kernels, the timing model's cycles): DEPTHWISE_CONV_2D x3.1 at 6 channels and
 *   x3.9 at 5: x3.3; CONV_2D over 6 or 5 input channels x3.0 and x3.2: x3; from one input channel to
 *   5 x1.9, to 6 x1.05 (as priced).
 * Without it a layer left with 6 of 8 channels is priced 25 % cheaper, and it runs slower. Only the
 * target family's own kernels: the portable C and the storage kernels are priced as measured.
 */
export function offGroupFactor(layer: { op: { kind: string }; variant: { family: IsaFamily }; params: unknown }, targetFamily: IsaFamily): number {
  if ((targetFamily !== 'armv6m' && targetFamily !== 'arm-dsp') || layer.variant.family !== targetFamily) return 1;
  const v6m = targetFamily === 'armv6m';
  if (layer.op.kind === 'DEPTHWISE_CONV_2D') {
    const p = layer.params as { inC: number; depthMultiplier: number };
    return p.depthMultiplier === 1 && p.inC > 1 && p.inC % 4 !== 0 ? (v6m ? 2.6 : 3.3) : 1;
  }
  if (layer.op.kind === 'CONV_2D') {
    const p = layer.params as { filterInC: number; outC: number };
    const deep = p.filterInC > 1 ? [p.filterInC] : [];
    if (!v6m && deep.some((c) => c % 4 !== 0)) return 3;
    const counts = [p.outC, ...deep];
    if (counts.some((c) => c % 2 !== 0)) return 1.9;
    if (v6m && counts.some((c) => c % 4 !== 0)) return 1.2;
  }
  return 1;
}
