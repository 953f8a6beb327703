// Services and Endpoints, as pkg/apis/core/validation's ValidateService checks them.

import { BlockList, isIP } from 'node:net';
import { fieldError, type FieldError } from './errors.ts';
import type { KubeObject } from './kube-object.ts';
import { asArray, asObject, asString, oneOf, portNumber, portNumberOrName, type Json } from './field-checks.ts';
import { isDns1123Label, isDns1123Subdomain, validateLabels } from './name-validation.ts';

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
/** The API server's default --service-node-port-range. */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 };

const IP_MESSAGE = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

// Kubernetes' validateNonSpecialIP: an endpoint may not point at the node itself. Here it
// matters doubly: Kubelab connects to address-only endpoints from the desktop, so a
// loopback endpoint would open this machine's private ports to every pod.
const SPECIAL_RANGES: { message: string; blocks: BlockList }[] = [
  { message: 'may not be unspecified (0.0.0.0, ::)', blocks: blockList([['0.0.0.0', 32, 'ipv4'], ['::', 128, 'ipv6']]) },
  { message: 'may not be in the loopback range (127.0.0.0/8, ::1/128)', blocks: blockList([['127.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6']]) },
  { message: 'may not be in the link-local range (169.254.0.0/16, fe80::/10)', blocks: blockList([['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6']]) },
  { message: 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)', blocks: blockList([['224.0.0.0', 24, 'ipv4'], ['ff02::', 10, 'ipv6']]) },
];

function blockList(subnets: [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const list = new BlockList();
  for (const [address, prefix, family] of subnets) list.addSubnet(address, prefix, family);
  return list;
}

function specialIpMessage(ip: string): string | undefined {
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  return SPECIAL_RANGES.find((range) => range.blocks.check(ip, family))?.message;
}

function validateServicePorts(spec: Json, type: string | undefined): FieldError[] {
  const errors: FieldError[] = [];
  const ports = asArray(spec.ports);
  const requireName = ports.length > 1;
  const names = new Set<string>();
  const nodePorts = new Set<string>();
  const portProtocols = new Set<string>();
  ports.forEach((raw, i) => {
    const port = asObject(raw);
    if (!port) return;
    const path = `spec.ports[${i}]`;
    const name = asString(port.name);
    if (!name) {
      if (requireName) errors.push(fieldError.required(`${path}.name`));
    } else {
      for (const message of isDns1123Label(name)) errors.push(fieldError.invalid(`${path}.name`, name, message));
      if (names.has(name)) errors.push(fieldError.duplicate(`${path}.name`, name));
      names.add(name);
    }
    if (port.port === undefined) errors.push(fieldError.required(`${path}.port`));
    else errors.push(...portNumber(port.port, `${path}.port`));
    errors.push(...oneOf(port.protocol, PROTOCOLS, `${path}.protocol`));
    errors.push(...portNumberOrName(port.targetPort, `${path}.targetPort`));
    const protocol = asString(port.protocol) ?? 'TCP';
    const portKey = `${String(port.port)}/${protocol}`;
    if (portProtocols.has(portKey)) errors.push(fieldError.duplicate(path, { port: port.port, protocol }));
    portProtocols.add(portKey);

    const nodePort = port.nodePort;
    if (typeof nodePort === 'number' && nodePort !== 0) {
      if (type === 'ClusterIP' || type === 'ExternalName') {
        errors.push(fieldError.forbidden(`${path}.nodePort`, `may not be used when \`type\` is '${type}'`));
      } else if (nodePort < NODE_PORT_RANGE.min || nodePort > NODE_PORT_RANGE.max) {
        errors.push(
          fieldError.invalid(`${path}.nodePort`, nodePort, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`),
        );
      }
      const nodePortKey = `${nodePort}/${protocol}`;
      if (nodePorts.has(nodePortKey)) errors.push(fieldError.duplicate(`${path}.nodePort`, nodePort));
      nodePorts.add(nodePortKey);
    }
  });
  return errors;
}

export function validateService(obj: KubeObject): FieldError[] {
  const spec = asObject(obj.spec) ?? {};
  const errors: FieldError[] = [];
  const type = asString(spec.type);
  errors.push(...oneOf(spec.type, SERVICE_TYPES, 'spec.type'));
  const clusterIP = asString(spec.clusterIP);
  const headless = clusterIP === 'None';

  if (type === 'ExternalName') {
    const externalName = asString(spec.externalName);
    if (!externalName) errors.push(fieldError.required('spec.externalName'));
    else {
      // A trailing dot (fully qualified name) is allowed.
      const name = externalName.endsWith('.') ? externalName.slice(0, -1) : externalName;
      for (const message of isDns1123Subdomain(name)) errors.push(fieldError.invalid('spec.externalName', externalName, message));
    }
    if (clusterIP) errors.push(fieldError.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
  } else if (asArray(spec.ports).length === 0 && !headless) {
    errors.push(fieldError.required('spec.ports'));
  }
  errors.push(...validateServicePorts(spec, type));

  if (clusterIP && !headless && isIP(clusterIP) === 0) errors.push(fieldError.invalid('spec.clusterIPs[0]', clusterIP, IP_MESSAGE));
  asArray(spec.clusterIPs).forEach((ip, i) => {
    if (typeof ip === 'string' && ip !== 'None' && isIP(ip) === 0 && !(i === 0 && ip === clusterIP)) {
      errors.push(fieldError.invalid(`spec.clusterIPs[${i}]`, ip, IP_MESSAGE));
    }
  });
  if (clusterIP && Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0 && spec.clusterIPs[0] !== clusterIP) {
    errors.push(fieldError.invalid('spec.clusterIPs', spec.clusterIPs, 'element [0] must match clusterIP'));
  }
  asArray(spec.externalIPs).forEach((ip, i) => {
    if (typeof ip === 'string' && isIP(ip) === 0) errors.push(fieldError.invalid(`spec.externalIPs[${i}]`, ip, IP_MESSAGE));
  });

  errors.push(...validateLabels(spec.selector, 'spec.selector'));
  errors.push(...oneOf(spec.sessionAffinity, ['ClientIP', 'None'], 'spec.sessionAffinity'));
  errors.push(...oneOf(spec.internalTrafficPolicy, ['Cluster', 'Local'], 'spec.internalTrafficPolicy'));
  errors.push(...oneOf(spec.ipFamilyPolicy, ['SingleStack', 'PreferDualStack', 'RequireDualStack'], 'spec.ipFamilyPolicy'));
  if (spec.externalTrafficPolicy != null) {
    if (type !== 'NodePort' && type !== 'LoadBalancer') {
      errors.push(fieldError.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set when `type` is \'NodePort\' or \'LoadBalancer\''));
    } else {
      errors.push(...oneOf(spec.externalTrafficPolicy, ['Cluster', 'Local'], 'spec.externalTrafficPolicy'));
    }
  }
  return errors;
}

/**
 * A clusterIP, once allocated, stays. An update that leaves it out keeps the old one (the
 * API server copies it over); only a different address is an error.
 */
export function validateServiceUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const oldIP = asString(asObject(old.spec)?.clusterIP);
  const newIP = asString(asObject(obj.spec)?.clusterIP);
  const newType = asString(asObject(obj.spec)?.type);
  if (!oldIP || !newIP || oldIP === newIP || newType === 'ExternalName') return [];
  return [fieldError.invalid('spec.clusterIPs[0]', [newIP], 'may not change once set')];
}

export function validateEndpoints(obj: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  asArray(obj.subsets).forEach((raw, i) => {
    const subset = asObject(raw);
    if (!subset) return;
    const path = `subsets[${i}]`;
    for (const list of ['addresses', 'notReadyAddresses']) {
      asArray(subset[list]).forEach((rawAddress, j) => {
        const address = asObject(rawAddress);
        if (!address) return;
        const ip = asString(address.ip);
        if (!ip) errors.push(fieldError.required(`${path}.${list}[${j}].ip`));
        else if (isIP(ip) === 0) errors.push(fieldError.invalid(`${path}.${list}[${j}].ip`, ip, IP_MESSAGE));
        else {
          const special = specialIpMessage(ip);
          if (special) errors.push(fieldError.invalid(`${path}.${list}[${j}].ip`, ip, special));
        }
        const nodeName = asString(address.nodeName);
        if (nodeName) for (const message of isDns1123Subdomain(nodeName)) errors.push(fieldError.invalid(`${path}.${list}[${j}].nodeName`, nodeName, message));
      });
    }
    const ports = asArray(subset.ports);
    ports.forEach((rawPort, j) => {
      const port = asObject(rawPort);
      if (!port) return;
      const portPath = `${path}.ports[${j}]`;
      const name = asString(port.name);
      if (!name && ports.length > 1) errors.push(fieldError.required(`${portPath}.name`));
      if (name) for (const message of isDns1123Label(name)) errors.push(fieldError.invalid(`${portPath}.name`, name, message));
      errors.push(...portNumber(port.port, `${portPath}.port`));
      errors.push(...oneOf(port.protocol, PROTOCOLS, `${portPath}.protocol`));
    });
  });
  return errors;
}
