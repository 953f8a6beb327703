// Prints the closing line of a test run, `tests: N passed, N failed, N skipped`,
// from vitest's JSON report. CI reads that plain line, so it is always the last
// thing printed, and a run that produced no report counts as one failure.
//
// Usage: node summarize-results.mjs [report.json] [--extra-failures=N] [--vitest-exit=N]
// --extra-failures adds failed steps outside vitest (type check, setup);
// --vitest-exit makes a failed vitest run count as a failure even when none of
// its tests failed (an unhandled error, no test files found).
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const reportPath = args.find((arg) => !arg.startsWith('--')) ?? 'test-results/vitest.json';

function numberOption(name) {
  const arg = args.find((candidate) => candidate.startsWith(`--${name}=`));
  return arg ? Number(arg.slice(name.length + 3)) || 0 : 0;
}
const extraFailures = numberOption('extra-failures');
const vitestExit = numberOption('vitest-exit');

function countsFromReport(report) {
  const failedTests = report.numFailedTests ?? 0;
  // A file that fails to load or whose hooks throw may fail without any
  // failed test in it; count each such file once so the failure shows.
  const filesFailedWithoutTests = (report.testResults ?? []).filter(
    (file) =>
      file.status === 'failed' &&
      !(file.assertionResults ?? []).some((test) => test.status === 'failed'),
  ).length;
  return {
    passed: report.numPassedTests ?? 0,
    failed: failedTests + filesFailedWithoutTests,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  };
}

let counts;
try {
  counts = countsFromReport(JSON.parse(readFileSync(reportPath, 'utf8')));
} catch (error) {
  console.log(`vitest produced no results (${reportPath}: ${error.code ?? error.message})`);
  counts = { passed: 0, failed: 1, skipped: 0 };
}

if (vitestExit !== 0 && counts.failed === 0) {
  console.log(`vitest exited with status ${vitestExit} although no test failed; counting it as a failure`);
  counts.failed = 1;
}

console.log(`tests: ${counts.passed} passed, ${counts.failed + extraFailures} failed, ${counts.skipped} skipped`);
