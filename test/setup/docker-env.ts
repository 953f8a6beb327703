// What the integration suites need to know about the machine's Docker engine.
// test/setup/ensure-docker.sh and ensure-test-image.sh prepare both before the
// suites run (see test/run-tests.sh).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * The local image pods run in tests: Debian's static busybox, built by
 * ensure-test-image.sh because no registry is reachable. It has sh, sleep,
 * hostname, nc, wget and `httpd -f -p 8080 -h /var/www` (serves "kubelab test
 * image" at /). Its busybox 1.35 wget crashes with `-T`: wrap it in
 * `timeout N wget ...` instead.
 */
export const TEST_IMAGE = 'kubelab/busybox:test';

/** True when `docker info` answers, i.e. a daemon is up and reachable. */
export async function dockerAvailable(): Promise<boolean> {
  try {
    await execFileAsync('docker', ['info'], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}
