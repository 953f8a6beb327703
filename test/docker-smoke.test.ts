// Proves the test machine itself: a Docker engine answers, the local test
// image runs commands, and it serves HTTP to a second container sharing its
// network namespace (the way containers of one pod share theirs). When this
// file fails, the other integration suites cannot be trusted either.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_IMAGE, dockerAvailable } from './setup/docker-env.ts';

const execFileAsync = promisify(execFile);

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, { timeout: 60_000 });
  return stdout;
}

describe('docker test environment', () => {
  const containerIds: string[] = [];

  beforeAll(async () => {
    if (!(await dockerAvailable())) {
      throw new Error('docker info fails: run test/setup/ensure-docker.sh (test/run-tests.sh does)');
    }
  });

  afterAll(async () => {
    if (containerIds.length > 0) {
      await docker('rm', '--force', ...containerIds);
    }
  });

  it('runs a shell command in the test image', async () => {
    const output = await docker('run', '--rm', '--hostname', 'smoke-host', TEST_IMAGE, 'sh', '-c', 'echo ok; hostname');

    expect(output.trim().split('\n')).toEqual(['ok', 'smoke-host']);
  });

  it('serves HTTP from the test image to a container in the same network namespace', async () => {
    const token = `smoke-${randomBytes(6).toString('hex')}`;
    const serverId = (
      await docker(
        'run', '--detach', TEST_IMAGE,
        'sh', '-c', `echo ${token} > /var/www/token.txt && exec httpd -f -p 8080 -h /var/www`,
      )
    ).trim();
    containerIds.push(serverId);

    // httpd needs a moment to bind; retry until it answers rather than sleep.
    const fetchToken =
      'for attempt in $(seq 1 100); do ' +
      'wget -q -O- http://127.0.0.1:8080/token.txt && exit 0; sleep 0.2; ' +
      'done; exit 1';
    const body = await docker('run', '--rm', '--network', `container:${serverId}`, TEST_IMAGE, 'sh', '-c', fetchToken);

    expect(body.trim()).toBe(token);
  });
});
