// mocha's spec reporter plus the one closing line CI reads: "N passed, N failed, N skipped".
// Before it, the slowest test files (hooks included) with their wall time, so CI's 30-minute bound
// is managed from figures instead of guesses; all files' times go to TINYFORGE_TEST_TIMES (a JSON
// file path) when that is set, each with its own counts of passed, failed (hooks included) and skipped
// tests (scripts/test.mjs re-runs alone the files that failed in a shard from them).
const Mocha = require('mocha');
const { relative } = require('node:path');
const { writeFileSync } = require('node:fs');

const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;

/** the test file a test or hook comes from (a hook's own `file`, else its suite's) */
function fileOf(runnable) {
  for (let r = runnable; r; r = r.parent) if (r.file) return r.file;
  return undefined;
}
const SLOWEST_SHOWN = 15;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const started = Date.now();
    // a file's top-level suites, timed from the first one's start to the last one's end
    const files = new Map();
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (!suite.file || suite.parent?.root !== true) return;
      const f = files.get(suite.file) ?? { begin: Date.now(), end: Date.now(), passed: 0, failed: 0, skipped: 0 };
      files.set(suite.file, f);
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      if (!suite.file || suite.parent?.root !== true) return;
      const f = files.get(suite.file);
      if (f) f.end = Date.now();
    });
    const count = (what) => (runnable) => {
      const f = files.get(fileOf(runnable));
      if (f) f[what] += 1;
    };
    runner.on(EVENT_TEST_PASS, count('passed'));
    runner.on(EVENT_TEST_FAIL, count('failed'));
    runner.on(EVENT_TEST_PENDING, count('skipped'));
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats ?? {};
      const times = [...files].map(([file, f]) => ({
        file: relative(process.cwd(), file),
        seconds: (f.end - f.begin) / 1000,
        passed: f.passed,
        failed: f.failed,
        skipped: f.skipped,
      }));
      times.sort((a, b) => b.seconds - a.seconds);
      if (process.env.TINYFORGE_TEST_TIMES) writeFileSync(process.env.TINYFORGE_TEST_TIMES, JSON.stringify(times, null, 1));
      // Printed after the spec summary; the failed count includes hook failures.
      process.nextTick(() => {
        const total = (Date.now() - started) / 1000;
        console.log(`\nslowest test files (of ${times.length}, ${Math.round(total)} s in all):`);
        for (const t of times.slice(0, SLOWEST_SHOWN)) console.log(`  ${t.seconds.toFixed(1).padStart(7)} s  ${t.file}`);
        console.log(`${s.passes ?? 0} passed, ${s.failures ?? 0} failed, ${s.pending ?? 0} skipped`);
      });
    });
  }
}

module.exports = SummaryReporter;
