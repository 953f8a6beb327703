import { describe, expect, it } from 'vitest';
import { checkEndpointSecurity, dockerOptionsFor, EndpointError, localDockerEndpoint, parseDockerEndpoint } from './docker-endpoint.ts';

const tls = { ca: 'CA', cert: 'CERT', key: 'KEY' };

describe('parseDockerEndpoint', () => {
  it('reads unix, tcp and ssh endpoints', () => {
    expect(parseDockerEndpoint('unix:///var/run/docker.sock')).toEqual({ kind: 'unix', url: 'unix:///var/run/docker.sock', socketPath: '/var/run/docker.sock' });
    expect(parseDockerEndpoint('tcp://127.0.0.1:2376')).toEqual({ kind: 'tcp', url: 'tcp://127.0.0.1:2376', host: '127.0.0.1', port: 2376 });
    expect(parseDockerEndpoint('ssh://lab@127.0.0.1:2222')).toEqual({ kind: 'ssh', url: 'ssh://lab@127.0.0.1:2222', host: '127.0.0.1', port: 2222, username: 'lab' });
  });

  it('fills in default ports and the current user', () => {
    expect(parseDockerEndpoint('tcp://docker.example')).toMatchObject({ port: 2376, url: 'tcp://docker.example:2376' });
    const ssh = parseDockerEndpoint('ssh://127.0.0.1');
    expect(ssh).toMatchObject({ kind: 'ssh', port: 22 });
    expect(ssh.kind === 'ssh' && ssh.username.length).toBeGreaterThan(0);
  });

  it('takes IPv6 hosts in brackets', () => {
    expect(parseDockerEndpoint('tcp://[::1]:2376')).toMatchObject({ host: '::1', port: 2376, url: 'tcp://[::1]:2376' });
  });

  it.each([
    ['docker.sock', 'no scheme'],
    ['http://127.0.0.1:2375', 'unknown scheme "http"'],
    ['unix://relative.sock', 'must be absolute'],
    ['tcp://:2375', 'not a valid URL'],
    ['tcp://127.0.0.1:2375/v1.41', 'unexpected path'],
    ['tcp://user@127.0.0.1:2375', 'tcp endpoints take no user'],
    ['ssh://me:secret@127.0.0.1', 'passwords are not accepted'],
  ])('rejects %s naming the flag and the accepted shapes', (url, why) => {
    const error = (() => {
      try {
        parseDockerEndpoint(url);
      } catch (e) {
        return e as Error;
      }
      throw new Error(`${url} was accepted`);
    })();
    expect(error).toBeInstanceOf(EndpointError);
    expect(error.message).toContain('--docker must be unix:///path, tcp://host:port or ssh://user@host');
    expect(error.message).toContain(why);
  });

  it('names another flag when told', () => {
    expect(() => parseDockerEndpoint('nope', 'DOCKER_HOST')).toThrow(/^DOCKER_HOST must be/);
  });
});

describe('endpoint security', () => {
  const tcp = parseDockerEndpoint('tcp://127.0.0.1:2376');

  it('refuses plain tcp unless TLS material or --insecure is given', () => {
    expect(() => checkEndpointSecurity(tcp, {})).toThrow('plain tcp needs TLS files (--tls-ca --tls-cert --tls-key) or --insecure');
    expect(() => checkEndpointSecurity(tcp, { tls })).not.toThrow();
    expect(() => checkEndpointSecurity(tcp, { insecure: true })).not.toThrow();
    expect(() => checkEndpointSecurity(tcp, { tls, insecure: true })).toThrow('not both');
  });

  it('asks nothing of unix and ssh endpoints', () => {
    expect(() => checkEndpointSecurity(parseDockerEndpoint('unix:///x.sock'), {})).not.toThrow();
    expect(() => checkEndpointSecurity(parseDockerEndpoint('ssh://a@127.0.0.1'), {})).not.toThrow();
  });
});

describe('dockerOptionsFor', () => {
  it('builds Dockerode options for each kind', () => {
    expect(dockerOptionsFor(parseDockerEndpoint('unix:///run/d.sock'))).toEqual({ socketPath: '/run/d.sock' });
    expect(dockerOptionsFor(parseDockerEndpoint('tcp://127.0.0.1:2376'), { tls })).toEqual({
      host: '127.0.0.1',
      port: 2376,
      protocol: 'https',
      ...tls,
    });
    expect(dockerOptionsFor(parseDockerEndpoint('tcp://127.0.0.1:2375'), { insecure: true })).toEqual({ host: '127.0.0.1', port: 2375, protocol: 'http' });
    const ssh = dockerOptionsFor(parseDockerEndpoint('ssh://lab@127.0.0.1:2222'), { sshPrivateKey: 'PRIVATE' });
    expect(ssh).toMatchObject({ protocol: 'ssh', host: '127.0.0.1', port: 2222, username: 'lab', sshOptions: { privateKey: 'PRIVATE' } });
  });

  it('refuses to build an unprotected tcp client', () => {
    expect(() => dockerOptionsFor(parseDockerEndpoint('tcp://127.0.0.1:2375'))).toThrow(EndpointError);
  });
});

describe('localDockerEndpoint', () => {
  it('follows DOCKER_HOST when it names a unix socket', () => {
    expect(localDockerEndpoint({ DOCKER_HOST: 'unix:///home/me/.docker/run/docker.sock' }).socketPath).toBe('/home/me/.docker/run/docker.sock');
    expect(localDockerEndpoint({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }).socketPath).toBe('/var/run/docker.sock');
    expect(localDockerEndpoint({}).url).toBe('unix:///var/run/docker.sock');
  });
});
