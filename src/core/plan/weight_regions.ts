// SPDX-License-Identifier: Apache-2.0
/**
 * Weights in internal RAM where they pay. On a board whose flash sits behind a cache (ESP32,
 * ESP32-S3: a miss costs about 24 internal SRAM reads, the board's `hardware.memory` accessCost),
 * a layer's weight tables read many times per inference run faster from internal SRAM. After the
 * arena is planned, the internal RAM it leaves takes whole layers' tables, the most-read per byte
 * first (MACs per byte of the layer's tables: how often each byte is read per inference), each
 * only if it fits what is left. The arrays stay `const`: only their section changes, so the C
 * computes the same answers. The regions come in as data (the board's descriptor, read by lab).
 */
import type { PreparedGraph } from '../ops/prepare.ts';
import { executedMacs } from '../ops/prepare.ts';

/** What a compile may do with weights: the internal RAM they may take, and both memories' access costs. */
export interface WeightsInRamOption {
  /** internal RAM the arena and the weights placed in RAM may take together (the chip's, less stack and harness) */
  internalBytes: number;
  /** a flash byte's cost relative to internal SRAM's (a cache miss) */
  flashAccessCost: number;
  /** an internal SRAM byte's cost (1 unless the board says otherwise) */
  ramAccessCost: number;
}

/** One layer whose constant tables the plan put in internal RAM. */
export interface WeightsInRamLayer {
  position: number;
  bytes: number;
  macs: number;
  /** MACs per byte of its tables: about how often each byte is read per inference */
  readsPerByte: number;
}

/** The layers placed, in the order chosen (most-read per byte first), and what they take and save. */
export interface WeightsInRamPlan {
  layers: WeightsInRamLayer[];
  /** bytes of tables placed in internal RAM */
  bytes: number;
  /** the internal RAM left for them after the arena */
  availableBytes: number;
  /** estimated table bytes read from internal RAM instead of flash per inference (the layers' MACs) */
  flashReadsSaved: number;
}

/**
 * The layers whose tables go to internal RAM: greedily by reads per byte, each that fits what the
 * layers before it left of `availableBytes`; none when flash costs no more than internal RAM.
 * `layerConstBytes` is per layer position (codegen's GeneratedModel.layerConstBytes).
 */
export function chooseWeightsInRam(
  prepared: PreparedGraph,
  layerConstBytes: readonly number[],
  availableBytes: number,
  costs: Pick<WeightsInRamOption, 'flashAccessCost' | 'ramAccessCost'>,
): WeightsInRamPlan {
  const none: WeightsInRamPlan = { layers: [], bytes: 0, availableBytes: Math.max(0, availableBytes), flashReadsSaved: 0 };
  if (costs.flashAccessCost <= costs.ramAccessCost || availableBytes <= 0) return none;
  const candidates = prepared.layers
    .filter((layer) => !layer.isAlias && (layerConstBytes[layer.position] ?? 0) > 0)
    .map((layer) => {
      const bytes = layerConstBytes[layer.position]!;
      const macs = executedMacs(layer);
      return { position: layer.position, bytes, macs, readsPerByte: macs / bytes };
    })
    // the most-read per byte first; of equally hot ones the smaller (more of them fit), then by position
    .sort((a, b) => b.readsPerByte - a.readsPerByte || a.bytes - b.bytes || a.position - b.position);
  let left = availableBytes;
  const layers: WeightsInRamLayer[] = [];
  for (const c of candidates) {
    // a table read once per inference still gains: the copy is made at boot, every inference reads RAM
    if (c.bytes > left) continue;
    layers.push(c);
    left -= c.bytes;
  }
  const bytes = layers.reduce((n, l) => n + l.bytes, 0);
  return { layers, bytes, availableBytes: none.availableBytes, flashReadsSaved: layers.reduce((n, l) => n + l.macs, 0) };
}
