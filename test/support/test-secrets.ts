// The values the suite's Secrets carry (test/pods-on-docker.test.ts and
// test/kubectl-apply.test.ts; test/secrets-and-files.test.ts makes its own at debug
// level). After the suite, test/scan-logs-for-secrets.ts looks for each, and its base64
// form, in every kubelab serve log the suite kept: none may hold one.
export const SUITE_SECRET_VALUES = ['s3cret', 'hunter2'];

/** Where startServe keeps each serve's output once it exits. */
export const SERVE_LOGS_DIR = new URL('../../test-results/serve-logs/', import.meta.url).pathname;
