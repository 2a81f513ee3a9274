// SPDX-License-Identifier: Apache-2.0
/** FULLY_CONNECTED's one-line description of a layer, shared by its variants. */
import type { FullyConnectedParams } from './contract.ts';

export function summary(p: FullyConnectedParams): string {
  return (
    `FULLY_CONNECTED [${p.batches},${p.inFeatures}] * [${p.outFeatures},${p.inFeatures}]^T -> [${p.batches},${p.outFeatures}]` +
    `${p.perChannel ? ' per-channel' : ''}, ${p.batches * p.inFeatures * p.outFeatures} MACs`
  );
}
