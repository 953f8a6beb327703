import { RESOURCES, apiVersionOf, groupVersions, verbsOf, type ResourceInfo } from '../api/resource-catalog.ts';
import { METRICS_DISCOVERY } from './metrics-api.ts';
import { SELF_SUBJECT_REVIEW_DISCOVERY } from './self-subject-reviews.ts';

// Discovery documents in their plain (non-aggregated) form. kubectl asks for the
// aggregated form first and falls back to these when the answer is plain JSON.

/** One entry of an APIResourceList. */
export interface DiscoveryResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
}

/** A group version served by its own module rather than through the resource catalog. */
export interface ExtraGroupVersion {
  group: string;
  version: string;
  resources: DiscoveryResource[];
}

const EXTRA_GROUP_VERSIONS: readonly ExtraGroupVersion[] = [METRICS_DISCOVERY, ...SELF_SUBJECT_REVIEW_DISCOVERY];

/** Every served group version: the catalog's, then the extra ones. */
const allGroupVersions = () => [...groupVersions(), ...EXTRA_GROUP_VERSIONS];

export const KUBERNETES_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-kubelab' };

export function versionInfo() {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: 'kubelab',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'node' + process.versions.node,
    compiler: 'tsx',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

export function coreApiVersions() {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
}

export function apiGroupList() {
  const groups = new Map<string, string[]>();
  for (const { group, version } of allGroupVersions()) {
    if (!group) continue;
    groups.set(group, [...new Set([...(groups.get(group) ?? []), version])]);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => apiGroup(name, versions)),
  };
}

export function apiGroup(name: string, versions: string[] = versionsOf(name)) {
  const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions: list, preferredVersion: list[0] };
}

function versionsOf(group: string): string[] {
  return [...new Set(allGroupVersions().filter((gv) => gv.group === group).map((gv) => gv.version))];
}

export function hasGroup(group: string): boolean {
  return versionsOf(group).length > 0;
}

export function hasGroupVersion(group: string, version: string): boolean {
  return versionsOf(group).includes(version);
}

export function apiResourceList(group: string, version: string) {
  const extra = EXTRA_GROUP_VERSIONS.find((gv) => gv.group === group && gv.version === version);
  const resources = extra ? extra.resources : RESOURCES.filter((r) => r.group === group && r.version === version).flatMap(discoveryEntries);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
}

function discoveryEntries(info: ResourceInfo) {
  const main = {
    name: info.plural,
    singularName: info.singular,
    namespaced: info.namespaced,
    kind: info.kind,
    verbs: verbsOf(info),
    ...(info.shortNames.length ? { shortNames: info.shortNames } : {}),
    ...(info.categories.length ? { categories: info.categories } : {}),
  };
  const subresources = info.subresources.map((sub) => {
    const base = { name: `${info.plural}/${sub}`, singularName: '', namespaced: info.namespaced };
    switch (sub) {
      case 'status':
        return { ...base, kind: info.kind, verbs: ['get', 'patch', 'update'] };
      case 'scale':
        return { ...base, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] };
      case 'binding':
        return { ...base, kind: 'Binding', verbs: ['create'] };
      case 'log':
        return { ...base, kind: 'Pod', verbs: ['get'] };
      case 'exec':
      case 'attach':
      case 'portforward':
        return { ...base, kind: sub === 'portforward' ? 'PodPortForwardOptions' : sub === 'exec' ? 'PodExecOptions' : 'PodAttachOptions', verbs: ['create', 'get'] };
      case 'proxy':
        return { ...base, kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] };
    }
  });
  return [main, ...subresources];
}
