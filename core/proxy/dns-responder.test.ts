import { describe, it, expect } from 'vitest';
import dnsPacket from 'dns-packet';
import { answerDnsQuery, DNS_TCP_MAX_MESSAGE } from './dns-responder.ts';
import type { ProxyConfig, ServiceEntry } from './mux-protocol.ts';

function service(name: string, namespace: string, clusterIP: string | null, readyPodIps: string[] = []): ServiceEntry {
  return { namespace, name, clusterIP, sessionAffinity: 'None', affinityTimeoutSeconds: 10800, ports: [], readyPodIps };
}

const config: ProxyConfig = {
  node: 'n1',
  dnsIp: '10.96.0.10',
  clusterDomain: 'cluster.local',
  services: [
    service('web', 'default', '10.96.0.20'),
    service('web', 'shop', '10.96.0.21'),
    service('db', 'shop', null, ['10.100.0.5', '10.100.1.7']),
    service('empty', 'shop', null, []),
  ],
};

function ask(name: string, type: dnsPacket.RecordType = 'A', extra: Partial<dnsPacket.Packet> = {}, maxSize?: number) {
  const query = dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }], ...extra });
  const answer = answerDnsQuery(query, config, maxSize);
  if (!answer) throw new Error('no answer');
  return dnsPacket.decode(answer) as dnsPacket.DecodedPacket & { rcode: string };
}

const addresses = (response: dnsPacket.DecodedPacket) => (response.answers ?? []).map((a) => (a as { data: string }).data);

describe('answerDnsQuery', () => {
  it('answers the full service name with the ClusterIP, authoritatively', () => {
    const response = ask('web.default.svc.cluster.local');
    expect(response.id).toBe(4242);
    expect(response.rcode).toBe('NOERROR');
    expect(response.flag_aa).toBe(true);
    expect(response.flag_rd).toBe(true);
    expect(response.questions).toEqual([{ name: 'web.default.svc.cluster.local', type: 'A', class: 'IN' }]);
    expect(response.answers).toMatchObject([{ type: 'A', name: 'web.default.svc.cluster.local', data: '10.96.0.20' }]);
  });

  it('answers `svc.ns.svc` and `svc.ns` literally, case-insensitively, with a trailing dot', () => {
    expect(addresses(ask('web.shop.svc'))).toEqual(['10.96.0.21']);
    expect(addresses(ask('web.shop'))).toEqual(['10.96.0.21']);
    expect(addresses(ask('WEB.Shop.svc.cluster.local.'))).toEqual(['10.96.0.21']);
  });

  it('answers every ready pod IP for a headless service', () => {
    expect(addresses(ask('db.shop.svc.cluster.local'))).toEqual(['10.100.0.5', '10.100.1.7']);
    const none = ask('empty.shop.svc.cluster.local');
    expect(none.rcode).toBe('NOERROR');
    expect(none.answers).toEqual([]);
  });

  it('answers other types of an existing name with no records, not NXDOMAIN', () => {
    const response = ask('web.default.svc.cluster.local', 'AAAA');
    expect(response.rcode).toBe('NOERROR');
    expect(response.answers).toEqual([]);
  });

  it('says NXDOMAIN for unknown names under the cluster domain (search path expansions)', () => {
    expect(ask('web.svc.cluster.local').rcode).toBe('NXDOMAIN');
    expect(ask('example.com.default.svc.cluster.local').rcode).toBe('NXDOMAIN');
    expect(ask('nope.default.svc.cluster.local').rcode).toBe('NXDOMAIN');
  });

  it('refuses names outside the cluster', () => {
    const response = ask('example.com');
    expect(response.rcode).toBe('REFUSED');
    expect(response.answers).toEqual([]);
    expect(ask('web').rcode).toBe('REFUSED');
  });

  it('sets TC instead of answering too big for UDP, and answers in full for TCP', () => {
    const many = Array.from({ length: 60 }, (_, i) => `10.100.2.${i + 1}`);
    const big: ProxyConfig = { ...config, services: [service('big', 'shop', null, many)] };
    const query = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'big.shop.svc.cluster.local' }] });
    const overUdp = dnsPacket.decode(answerDnsQuery(query, big)!);
    expect(overUdp.flag_tc).toBe(true);
    expect(overUdp.answers).toEqual([]);
    const overTcp = dnsPacket.decode(answerDnsQuery(query, big, DNS_TCP_MAX_MESSAGE)!);
    expect(overTcp.flag_tc).toBe(false);
    expect(addresses(overTcp)).toEqual(many);
  });

  it('drops what is not a query', () => {
    expect(answerDnsQuery(Buffer.from([1, 2, 3]), config)).toBeNull();
    const response = dnsPacket.encode({ type: 'response', id: 1, questions: [{ type: 'A', name: 'web.default' }] });
    expect(answerDnsQuery(response, config)).toBeNull();
  });
});
