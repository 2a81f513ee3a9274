#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The installed package runs its built CLI (dist/) with plain Node. A source checkout (src/ is
// here: the npm package does not ship it) runs the TypeScript through tsx instead, so an edit is
// live at once and a dist/ left over from an earlier `npm run build` can never run stale code.
import { existsSync } from 'node:fs';

const checkout = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(checkout)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(checkout.href);
} else {
  await import('../dist/cli/main.js');
}
