// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge tune`'s bar inside a recipe: the recipe's own steps (fine-tuning batches, QAT,
 * evaluation) show as the note of the search's bar, which stays at the recipe's place.
 */
import { expect } from 'chai';
import type { Progress } from '../../src/compress/progress.ts';
import { within } from '../../src/compress/tune.ts';

function recorder(): { progress: Progress; updates: [number, string | undefined][]; starts: string[]; logs: string[] } {
  const updates: [number, string | undefined][] = [];
  const starts: string[] = [];
  const logs: string[] = [];
  return {
    progress: {
      start: (label) => starts.push(label),
      update: (done, note) => updates.push([done, note]),
      stop: () => {},
      log: (m) => logs.push(m),
    },
    updates,
    starts,
    logs,
  };
}

describe('tune: progress inside a recipe', () => {
  it("a fine-tuning's batches are the note of the search's bar, which stays at the recipe", () => {
    const outer = recorder();
    const inner = within(outer.progress, 5, 'ch30', '2 points on the front');
    inner.start('fine-tuning', 1128);
    inner.update(120, 'loss 0.2100');
    inner.stop();
    inner.start('evaluating', 500);
    inner.update(500);
    inner.log('a line');
    // the search's bar is not replaced by the recipe's own bars
    expect(outer.starts).to.deep.equal([]);
    expect(outer.updates.every(([done]) => done === 5)).to.equal(true);
    expect(outer.updates.map(([, n]) => n)).to.deep.equal([
      'ch30: fine-tuning 0/1128; 2 points on the front',
      'ch30: fine-tuning 120/1128 (loss 0.2100); 2 points on the front',
      'ch30: evaluating 0/500; 2 points on the front',
      'ch30: evaluating 500/500; 2 points on the front',
    ]);
    expect(outer.logs).to.deep.equal(['a line']);
  });
});
