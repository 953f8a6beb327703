import { userInfo } from 'node:os';
import Dockerode from 'dockerode';

// Docker endpoint URLs as users type them (`--docker`, the node annotation) and the
// Dockerode client for each: a unix socket, tcp with TLS (or plain tcp when the user
// explicitly accepts it), or ssh, where docker-modem runs `docker system dial-stdio`
// on the remote host over ssh2 (so the remote needs the docker CLI).

export type DockerEndpoint =
  | { kind: 'unix'; url: string; socketPath: string }
  | { kind: 'tcp'; url: string; host: string; port: number }
  | { kind: 'ssh'; url: string; host: string; port: number; username: string };

export interface TlsMaterial {
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
}

export interface ConnectOptions {
  /** Required for tcp unless `insecure`. */
  tls?: TlsMaterial;
  /** Plain HTTP to a tcp endpoint: anyone on the network path controls the daemon. */
  insecure?: boolean;
  /** For ssh: a private key; without one the ssh agent (SSH_AUTH_SOCK) is used. */
  sshPrivateKey?: string | Buffer;
  /** Request timeout in ms (Dockerode's), none by default. */
  timeoutMs?: number;
}

export const ENDPOINT_SHAPES = 'unix:///path, tcp://host:port or ssh://user@host';
const TCP_SECURITY_FIX = 'plain tcp needs TLS files (--tls-ca --tls-cert --tls-key) or --insecure';

/** A user error in an endpoint; the message names the flag and the fix. */
export class EndpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EndpointError';
  }
}

/** Parses an endpoint URL; throws EndpointError naming `flag` (default --docker). */
export function parseDockerEndpoint(url: string, flag = '--docker'): DockerEndpoint {
  const shapeError = (why: string) => new EndpointError(`${flag} must be ${ENDPOINT_SHAPES}; ${TCP_SECURITY_FIX} (got "${url}": ${why})`);
  const scheme = /^([a-z]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (!scheme) throw shapeError('no scheme');
  if (scheme === 'unix') {
    const socketPath = url.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw shapeError('the socket path must be absolute, as in unix:///var/run/docker.sock');
    return { kind: 'unix', url: `unix://${socketPath}`, socketPath };
  }
  if (scheme !== 'tcp' && scheme !== 'ssh') throw shapeError(`unknown scheme "${scheme}"`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw shapeError('not a valid URL');
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw shapeError('no host');
  if ((parsed.pathname && parsed.pathname !== '/') || parsed.search || parsed.hash) throw shapeError('unexpected path or query');
  if (parsed.password) throw shapeError('passwords are not accepted in the URL; use an ssh key or agent');
  const port = parsed.port ? Number(parsed.port) : scheme === 'ssh' ? 22 : 2376;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  if (scheme === 'tcp') {
    if (parsed.username) throw shapeError('tcp endpoints take no user');
    return { kind: 'tcp', url: `tcp://${urlHost}:${port}`, host, port };
  }
  const username = decodeURIComponent(parsed.username) || userInfo().username;
  return { kind: 'ssh', url: `ssh://${username}@${urlHost}${port === 22 ? '' : `:${port}`}`, host, port, username };
}

/** Throws EndpointError for a tcp endpoint with neither TLS material nor an explicit insecure choice. */
export function checkEndpointSecurity(endpoint: DockerEndpoint, options: Pick<ConnectOptions, 'tls' | 'insecure'>): void {
  if (endpoint.kind !== 'tcp') return;
  if (options.tls && options.insecure) throw new EndpointError(`${endpoint.url}: give either TLS files (--tls-ca --tls-cert --tls-key) or --insecure, not both`);
  if (!options.tls && !options.insecure) throw new EndpointError(`${endpoint.url}: ${TCP_SECURITY_FIX}`);
}

/** Dockerode's options for an endpoint; checks tcp security first. */
export function dockerOptionsFor(endpoint: DockerEndpoint, options: ConnectOptions = {}): Dockerode.DockerOptions {
  checkEndpointSecurity(endpoint, options);
  const timeout = options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {};
  switch (endpoint.kind) {
    case 'unix':
      return { socketPath: endpoint.socketPath, ...timeout };
    case 'tcp':
      return options.tls
        ? { host: endpoint.host, port: endpoint.port, protocol: 'https', ca: options.tls.ca, cert: options.tls.cert, key: options.tls.key, ...timeout }
        : { host: endpoint.host, port: endpoint.port, protocol: 'http', ...timeout };
    case 'ssh':
      // No Dockerode timeout here: docker-modem would call setTimeout on the ssh2
      // channel it uses as the socket, which has none, and crash the process. ssh2's
      // own readyTimeout bounds the connection instead.
      return {
        protocol: 'ssh',
        host: endpoint.host,
        port: endpoint.port,
        username: endpoint.username,
        sshOptions: {
          ...(options.sshPrivateKey ? { privateKey: options.sshPrivateKey } : {}),
          ...(process.env.SSH_AUTH_SOCK ? { agent: process.env.SSH_AUTH_SOCK } : {}),
          ...(options.timeoutMs !== undefined ? { readyTimeout: options.timeoutMs } : {}),
        },
      };
  }
}

export function createDocker(endpoint: DockerEndpoint, options: ConnectOptions = {}): Dockerode {
  return new Dockerode(dockerOptionsFor(endpoint, options));
}

/** The local daemon: DOCKER_HOST when it names a unix socket, else /var/run/docker.sock. */
export function localDockerEndpoint(env: NodeJS.ProcessEnv = process.env): DockerEndpoint & { kind: 'unix' } {
  const fromEnv = env.DOCKER_HOST;
  if (fromEnv?.startsWith('unix://')) {
    const parsed = parseDockerEndpoint(fromEnv, 'DOCKER_HOST');
    if (parsed.kind === 'unix') return parsed;
  }
  return { kind: 'unix', url: 'unix:///var/run/docker.sock', socketPath: '/var/run/docker.sock' };
}
