// SPDX-License-Identifier: Apache-2.0
// Types of scripts/dist-sources.mjs, for the tests that import it.
export const STAMP: string;
export function distSources(srcDir: string): string[];
export function distStamp(srcDir: string, startedMs: number): string;
export function distIsCurrent(srcDir: string, distDir: string): boolean;
