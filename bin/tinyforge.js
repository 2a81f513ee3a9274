#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The installed package runs its built CLI (dist/) with plain Node: the bundle of it, dist/cli.cjs,
// which starts in under half the time (scripts/build.mjs), else its modules. A source checkout (src/ is
// here: the npm package does not ship it) runs dist/ too while it is current (built after the last
// edit under src/, see scripts/dist-sources.mjs), and the TypeScript through tsx otherwise, so an
// edit is live at once and a dist/ left over from an earlier `npm run build` never runs stale code.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const checkout = new URL('../src/face/cli/main.ts', import.meta.url);
const bundle = new URL('../dist/cli.cjs', import.meta.url);
/** required, not imported: import() of CommonJS scans the whole 3 MB file for its exports first */
const runBuilt = async () => (existsSync(bundle) ? createRequire(import.meta.url)(fileURLToPath(bundle)) : import('../dist/face/cli/main.js'));
if (!existsSync(checkout)) {
  await runBuilt();
} else {
  const { distIsCurrent } = await import('../scripts/dist-sources.mjs');
  if (distIsCurrent(fileURLToPath(new URL('../src', import.meta.url)), fileURLToPath(new URL('../dist', import.meta.url)))) {
    await runBuilt();
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import(checkout.href);
  }
}
