import { secretsInLogs } from './support/secret-scan.ts';
import { SERVE_LOGS_DIR, SUITE_SECRET_VALUES } from './support/test-secrets.ts';

// Run by test/run-tests.sh after vitest: no log of any kubelab serve the suite started
// holds a value of the suite's Secrets, as it is or base64-encoded. (That serve logs
// are kept, and that this scan finds what it looks for, test/secrets-and-files.test.ts shows.)
//
//   npx tsx test/scan-logs-for-secrets.ts

const { files, leaks } = secretsInLogs(SERVE_LOGS_DIR, SUITE_SECRET_VALUES);
if (leaks.length > 0) {
  console.error(`secret values in serve logs:\n${leaks.join('\n')}`);
  process.exit(1);
}
console.log(`secrets in serve logs: none in ${files} logs (${SUITE_SECRET_VALUES.length} values, as they are and base64)`);
