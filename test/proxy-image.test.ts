// The node proxy image on the machine's real Docker daemon: it builds offline from the
// host's own binaries, runs Node.js and `ip`, and as a container driven over its
// stdin/stdout it puts the ClusterIPs on its eth0, answers DNS, and carries a pod's
// connection to a backend on its network and, through the host, to one elsewhere.
// Everything made here carries a per-run name and is removed in afterAll.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { PassThrough, type Duplex } from 'node:stream';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureProxyImage, proxyContainerSpec, proxyImageRef, bundleProxyProgram } from '../core/proxy/proxy-image.ts';
import { MuxLink, type LogEntry, type OpenTarget, type ProxyConfig } from '../core/proxy/mux-protocol.ts';
import { TEST_IMAGE } from './setup/docker-env.ts';
import { docker as dockerCli } from './support/docker-cli.ts';

const run = `pxy-${randomBytes(4).toString('hex')}`;
const docker = new Dockerode();
// Its own subnet, apart from kubelab-pods (a daemon refuses overlapping networks).
const network = `kubelab-test-${run}`;
const subnet = '10.251.0.0/16';
const dnsIp = '10.251.0.10';
const backendIp = '10.251.1.5';

describe('node proxy image', () => {
  let image: string;

  beforeAll(async () => {
    image = await ensureProxyImage(docker);
  }, 300_000);

  it('is tagged from the bundled program and Node.js version, and is not rebuilt when present', async () => {
    expect(image).toBe(proxyImageRef(await bundleProxyProgram()));
    expect(image).toMatch(/^kubelab\/proxy:[0-9a-f]{16}$/);
    const before = await docker.getImage(image).inspect();
    expect(await ensureProxyImage(docker)).toBe(image);
    expect((await docker.getImage(image).inspect()).Id).toBe(before.Id);
    expect(before.Config.Cmd).toEqual(['/node', '/proxy.mjs']);
  });

  it('runs the host Node.js binary', async () => {
    expect((await dockerCli(['run', '--rm', image, '/node', '-e', 'console.log(1)'])).trim()).toBe('1');
  });

  it('runs `ip` from iproute2', async () => {
    expect(await dockerCli(['run', '--rm', image, 'ip', '-V'])).toMatch(/iproute2/);
  });

  describe('as a node proxy container', () => {
    let proxy: Dockerode.Container;
    let attach: Duplex;
    let host: MuxLink;
    let hostServer: http.Server;
    const logs: LogEntry[] = [];
    const relayed: OpenTarget[] = [];

    function logged(predicate: (entry: LogEntry) => boolean): Promise<LogEntry> {
      const seen = logs.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const listener = (entry: LogEntry) => {
          if (!predicate(entry)) return;
          host.off('log', listener);
          resolve(entry);
        };
        host.on('log', listener);
      });
    }

    /** busybox wget from a throwaway pod-like container on the network, using the proxy's DNS. */
    function wgetFromPod(url: string): Promise<string> {
      return dockerCli([
        'run', '--rm', '--network', network, '--dns', dnsIp,
        '--dns-search', 'default.svc.cluster.local', '--dns-search', 'svc.cluster.local', '--dns-search', 'cluster.local',
        '--dns-option', 'ndots:5', '--label', `io.kubelab.test-run=${run}`,
        TEST_IMAGE, 'timeout', '20', 'wget', '-q', '-O', '-', url,
      ]);
    }

    beforeAll(async () => {
      await dockerCli(['network', 'create', '--subnet', subnet, '--ip-range', '10.251.1.0/24', network]);
      await dockerCli([
        'run', '-d', '--name', `${run}-backend`, '--network', network, '--ip', backendIp, '--label', `io.kubelab.test-run=${run}`,
        TEST_IMAGE, 'sh', '-c', 'mkdir -p /tmp/www && echo hello-from-local-pod > /tmp/www/index.html && httpd -f -p 8080 -h /tmp/www',
      ]);
      // Stands for a pod on another node: only the host can reach it, over its loopback.
      hostServer = http.createServer((_request, response) => response.end('hello-from-remote-pod\n'));
      hostServer.listen(0, '127.0.0.1');
      await once(hostServer, 'listening');
      const remotePort = (hostServer.address() as net.AddressInfo).port;

      const spec = proxyContainerSpec({ node: 'n1', image, clusterId: run, network });
      proxy = await docker.createContainer({ ...spec, name: `${run}-proxy`, Labels: { ...spec.Labels, 'io.kubelab.test-run': run } });
      attach = (await proxy.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      docker.modem.demuxStream(attach, stdout, stderr);
      stderr.on('data', (chunk) => process.stderr.write(`[proxy stderr] ${chunk}`));
      host = new MuxLink(stdout, attach, {
        side: 'host',
        onOpen: (target) => {
          relayed.push(target);
          return new Promise((resolve, reject) => {
            const socket = net.connect({ host: '127.0.0.1', port: remotePort, allowHalfOpen: true });
            socket.once('connect', () => resolve(socket));
            socket.once('error', reject);
          });
        },
      });
      host.on('log', (entry) => logs.push(entry));
      await proxy.start();

      const config: ProxyConfig = {
        node: 'n1',
        dnsIp,
        clusterDomain: 'cluster.local',
        services: [
          {
            namespace: 'default', name: 'web', clusterIP: '10.251.0.20', sessionAffinity: 'None', affinityTimeoutSeconds: 10800,
            ports: [{ name: 'http', protocol: 'TCP', port: 80, backends: [{ ip: backendIp, port: 8080, node: 'n1' }] }],
            readyPodIps: [backendIp],
          },
          {
            namespace: 'default', name: 'elsewhere', clusterIP: '10.251.0.21', sessionAffinity: 'None', affinityTimeoutSeconds: 10800,
            ports: [{ name: 'http', protocol: 'TCP', port: 80, backends: [{ ip: '10.100.7.7', port: 8080, node: 'n2' }] }],
            readyPodIps: ['10.100.7.7'],
          },
        ],
      };
      host.sendConfig(config);
      await Promise.all([
        logged((e) => e.message === 'listening' && e.address === '10.251.0.20:80'),
        logged((e) => e.message === 'listening' && e.address === '10.251.0.21:80'),
        logged((e) => e.message === 'dns listening'),
      ]);
    }, 120_000);

    afterAll(async () => {
      host?.close();
      attach?.destroy();
      hostServer?.close();
      const leftovers = (await dockerCli(['ps', '-aq', '--filter', `label=io.kubelab.test-run=${run}`])).split('\n').filter(Boolean);
      if (leftovers.length) await dockerCli(['rm', '-f', ...leftovers]);
      await dockerCli(['network', 'rm', network]).catch(() => {});
    }, 60_000);

    it('holds the ClusterIPs and the DNS address on eth0', async () => {
      const exec = await proxy.exec({ Cmd: ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      const out = new PassThrough();
      docker.modem.demuxStream(stream, out, new PassThrough());
      let text = '';
      out.on('data', (chunk) => (text += chunk));
      await once(stream, 'end');
      for (const ip of ['10.251.0.20/32', '10.251.0.21/32', `${dnsIp}/32`]) expect(text).toContain(`inet ${ip}`);
    });

    it('carries a pod connection to a backend on its own network, found by name', async () => {
      expect(await wgetFromPod('http://web/')).toBe('hello-from-local-pod\n');
      expect(await wgetFromPod('http://web.default.svc.cluster.local/')).toBe('hello-from-local-pod\n');
      expect(relayed).toEqual([]);
    });

    it('relays through the host to a backend on another node', async () => {
      expect(await wgetFromPod('http://elsewhere/')).toBe('hello-from-remote-pod\n');
      expect(relayed).toEqual([{ ip: '10.100.7.7', port: 8080, node: 'n2' }]);
    });

    it('drops the address of a service that is gone', async () => {
      host.sendConfig({ node: 'n1', dnsIp, clusterDomain: 'cluster.local', services: [] });
      await logged((e) => e.message === 'stopped listening' && e.address === '10.251.0.20:80');
      const exec = await proxy.exec({ Cmd: ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      const out = new PassThrough();
      docker.modem.demuxStream(stream, out, new PassThrough());
      let text = '';
      out.on('data', (chunk) => (text += chunk));
      await once(stream, 'end');
      expect(text).not.toContain('10.251.0.20/32');
      expect(text).toContain(`${dnsIp}/32`);
    });

    // Last: it ends the proxy. A killed Kubelab cuts the connection the same way.
    it('exits when the host that attached to it goes away, leaving no addresses held', async () => {
      attach.destroy();
      const exited = (await proxy.wait()) as { StatusCode: number };
      expect(exited.StatusCode).toBe(0);
      expect((await proxy.inspect()).State.Running).toBe(false);
    });
  });
});
