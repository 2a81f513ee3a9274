// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D's Xtensa variant (the ESP32, the ESP32-S3): the channel-group kernel of rv32.ts,
 * plain C with every shape a literal, compiled for the Xtensa core. Its G accumulators in registers
 * and one input byte shared by the G channels of a depth multiplier suit the LX6/LX7 as they suit
 * RV32IMC (micro_speech's 8-channel layer: 6.6 instructions per MAC against the portable C's 11.7 on
 * the ESP32). MAC16's one accumulator gives a depthwise layer nothing to share: each output's few taps
 * would need their inputs widened first, which costs more than the multiplies it saves.
 */
import type { KernelVariant } from '../op.ts';
import { depthwiseRv32Variant } from './rv32.ts';
import type { DepthwiseConv2DParams } from './index.ts';

export const depthwiseXtensaVariant: KernelVariant<DepthwiseConv2DParams> = { ...depthwiseRv32Variant, name: 'xtensa', family: 'xtensa' };
