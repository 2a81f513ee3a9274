// mocha's spec reporter plus the one closing line CI reads: "N passed, N failed, N skipped".
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats ?? {};
      // Printed after the spec summary; the failed count includes hook failures.
      process.nextTick(() => console.log(`${s.passes ?? 0} passed, ${s.failures ?? 0} failed, ${s.pending ?? 0} skipped`));
    });
  }
}

module.exports = SummaryReporter;
