// Cluster DNS, answered by each node proxy from its ProxyConfig alone: no upstream server
// is reachable from a node, so names outside the cluster are refused (REFUSED makes a
// resolver give up at once instead of timing out).
import dnsPacket from 'dns-packet';
import type { ProxyConfig, ServiceEntry } from './mux-protocol.ts';

/** Short: the table changes as pods come and go. */
export const CLUSTER_DNS_TTL_SECONDS = 5;
/** The classic UDP limit, used when a query doesn't announce a bigger one (EDNS). */
export const DNS_UDP_DEFAULT_PAYLOAD = 512;
export const DNS_TCP_MAX_MESSAGE = 65535;

const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

const namesByConfig = new WeakMap<ProxyConfig, Map<string, ServiceEntry>>();

/** Every name a service answers to, lower case: `svc.ns.svc.<domain>`, `svc.ns.svc` and `svc.ns`. */
function serviceNames(config: ProxyConfig): Map<string, ServiceEntry> {
  let names = namesByConfig.get(config);
  if (!names) {
    names = new Map();
    const domain = config.clusterDomain.toLowerCase();
    for (const service of config.services) {
      const base = `${service.name}.${service.namespace}`.toLowerCase();
      for (const name of [`${base}.svc.${domain}`, `${base}.svc`, base]) names.set(name, service);
    }
    namesByConfig.set(config, names);
  }
  return names;
}

function addressesOf(service: ServiceEntry): string[] {
  return service.clusterIP ? [service.clusterIP] : service.readyPodIps;
}

/**
 * The answer to one DNS query message, or null when the message is no query at all
 * (undecodable, or itself a response) and should be dropped.
 * `maxSize` bounds the answer: UDP callers leave the default (the query's EDNS size or 512),
 * TCP callers pass DNS_TCP_MAX_MESSAGE. An answer too big is sent empty with TC set.
 */
export function answerDnsQuery(query: Buffer, config: ProxyConfig, maxSize?: number): Buffer | null {
  let request: dnsPacket.DecodedPacket;
  try {
    request = dnsPacket.decode(query);
  } catch {
    return null;
  }
  if (request.type !== 'query') return null;

  const question = request.questions?.[0];
  const recursionDesired = (request.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
  const reply = (rcode: number, answers: dnsPacket.Answer[] = [], authoritative = false): dnsPacket.Packet => ({
    type: 'response',
    id: request.id,
    flags: recursionDesired | (authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | rcode,
    questions: question ? [question] : [],
    answers,
  });

  let response: dnsPacket.Packet;
  if (!question) response = reply(RCODE.FORMERR);
  // dns-packet decodes the opcode, its types just don't declare it.
  else if ((request as { opcode?: string }).opcode !== 'QUERY') response = reply(RCODE.NOTIMP);
  else response = answerQuestion(question, config, reply);

  const limit = maxSize ?? Math.max(DNS_UDP_DEFAULT_PAYLOAD, ednsPayloadSize(request));
  const encoded = dnsPacket.encode(response);
  if (encoded.length <= limit) return encoded;
  return dnsPacket.encode({ ...response, answers: [], flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE });
}

function answerQuestion(
  question: dnsPacket.Question,
  config: ProxyConfig,
  reply: (rcode: number, answers?: dnsPacket.Answer[], authoritative?: boolean) => dnsPacket.Packet,
): dnsPacket.Packet {
  const name = question.name.toLowerCase().replace(/\.$/, '');
  const service = serviceNames(config).get(name);
  if (service) {
    // A name that exists answers NOERROR for every type, empty for types other than A
    // (an NXDOMAIN to the parallel AAAA query would make resolvers drop the A answer).
    const wantsA = question.type === 'A' || (question.type as string) === 'ANY';
    const answers: dnsPacket.Answer[] = wantsA
      ? addressesOf(service).map((ip) => ({ type: 'A', name: question.name, ttl: CLUSTER_DNS_TTL_SECONDS, data: ip }))
      : [];
    return reply(RCODE.NOERROR, answers, true);
  }
  const domain = config.clusterDomain.toLowerCase();
  if (name === domain || name.endsWith(`.${domain}`)) return reply(RCODE.NXDOMAIN, [], true);
  return reply(RCODE.REFUSED);
}

function ednsPayloadSize(request: dnsPacket.DecodedPacket): number {
  const opt = request.additionals?.find((record) => record.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  return opt?.udpPayloadSize ?? 0;
}
