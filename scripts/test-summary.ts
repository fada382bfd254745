// Adds up the vitest JSON reports of every workspace package into the one closing line CI reads.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Report {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
  testResults: Array<{ name: string; status: string; message?: string; assertionResults?: Assertion[] }>;
}

interface Assertion {
  fullName: string;
  status: string;
  failureMessages?: string[];
}

// CI keeps only the tail of the output: the failures are repeated here, each with the start of its error.
function firstLines(text: string, count: number): string {
  return text.split('\n').slice(0, count).map((line) => `    ${line}`).join('\n');
}

const dir = process.argv[2] ?? 'test-results';
let passed = 0;
let failed = 0;
let skipped = 0;
const reports = readdirSync(dir).filter((name) => name.endsWith('.json'));
const failures: string[] = [];
for (const name of reports) {
  const report = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Report;
  passed += report.numPassedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  // A file that failed to load has no tests to fail: count it, or its failure would vanish.
  const brokenFiles = report.testResults.filter((file) => file.status === 'failed' && !file.assertionResults?.length).length;
  failed += report.numFailedTests + brokenFiles;
  for (const file of report.testResults) {
    if (file.status === 'failed' && !file.assertionResults?.length) {
      failures.push(`FAILED ${file.name} (did not load)\n${firstLines(file.message ?? '', 6)}`);
    }
    for (const test of file.assertionResults ?? []) {
      if (test.status === 'failed') {
        failures.push(`FAILED ${file.name} > ${test.fullName}\n${firstLines(test.failureMessages?.join('\n') ?? '', 6)}`);
      }
    }
  }
  console.log(`${name.replace(/\.json$/, '').padEnd(28)} ${report.numPassedTests} passed, ${report.numFailedTests + brokenFiles} failed, ${report.numPendingTests + report.numTodoTests} skipped`);
}
for (const failure of failures) console.log(failure);
const expected = Number(process.env.EXPECTED_REPORTS ?? 0);
if (reports.length < expected) {
  console.log(`only ${reports.length} of ${expected} packages reported: a test run crashed before writing its report`);
  failed += expected - reports.length;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
