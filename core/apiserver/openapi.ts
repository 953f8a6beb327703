import { createHash } from 'node:crypto';
import schemasJson from '../api/generated/openapi-schemas.json' with { type: 'json' };
import { RESOURCES, apiVersionOf, groupVersions, type ResourceInfo } from '../api/resource-catalog.ts';
import { KUBERNETES_VERSION } from './discovery.ts';

// OpenAPI v3 documents, as much as kubectl needs. Before `apply`, kubectl reads them
// to learn whether the server validates fields itself (the `fieldValidation` query
// parameter on each kind's PATCH operation); when it does, kubectl sends
// fieldValidation=Strict and leaves validation to us instead of failing for want
// of a schema. The kinds' schemas, with Kubernetes' descriptions (generated from
// kubernetes-types by scripts/generate-openapi-schemas.ts), are what `kubectl explain`
// shows. PATCH operations declare no request body on purpose: kubectl then computes
// strategic merge patches from its own compiled-in types, which carry the merge keys
// these schemas lack.

const WRITE_PARAMETERS = [
  { name: 'dryRun', in: 'query', description: 'When present ("All"), the request is validated but not persisted.', schema: { type: 'string', uniqueItems: true } },
  { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
  {
    name: 'fieldValidation',
    in: 'query',
    description: 'Ignore, Warn or Strict: how unknown or duplicate fields are treated. Kubelab validates every write on the server.',
    schema: { type: 'string', uniqueItems: true },
  },
];

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function operationsFor(info: ResourceInfo) {
  const base = `/${gvPath(info.group, info.version)}${info.namespaced ? '/namespaces/{namespace}' : ''}/${info.plural}`;
  const gvk = { 'x-kubernetes-group-version-kind': { group: info.group, version: info.version, kind: info.kind } };
  const ok = { responses: { '200': { description: 'OK' } } };
  const id = `${info.kind}${info.namespaced ? 'Namespaced' : ''}`;
  return {
    [base]: {
      get: { operationId: `list${id}`, 'x-kubernetes-action': 'list', ...gvk, ...ok },
      post: { operationId: `create${id}`, 'x-kubernetes-action': 'post', parameters: WRITE_PARAMETERS, ...gvk, ...ok },
    },
    [`${base}/{name}`]: {
      get: { operationId: `read${id}`, 'x-kubernetes-action': 'get', ...gvk, ...ok },
      put: { operationId: `replace${id}`, 'x-kubernetes-action': 'put', parameters: WRITE_PARAMETERS, ...gvk, ...ok },
      patch: { operationId: `patch${id}`, 'x-kubernetes-action': 'patch', parameters: WRITE_PARAMETERS, ...gvk, ...ok },
      delete: { operationId: `delete${id}`, 'x-kubernetes-action': 'delete', ...gvk, ...ok },
    },
  };
}

type Schema = Record<string, unknown>;
const SCHEMAS = (schemasJson as { schemas: Record<string, Schema> }).schemas;
const SCHEMA_ROOTS = (schemasJson as { roots: Record<string, string> }).roots;

/** The schemas a group version's kinds use: each kind's own (marked with its GVK) and every type it refers to. */
function schemasFor(resources: readonly ResourceInfo[]): Record<string, Schema> {
  const found: Record<string, Schema> = {};
  const visit = (name: string): void => {
    if (name in found || !SCHEMAS[name]) return;
    found[name] = SCHEMAS[name];
    JSON.stringify(SCHEMAS[name], (key, value) => {
      if (key === '$ref' && typeof value === 'string') visit(value.slice('#/components/schemas/'.length));
      return value;
    });
  };
  for (const info of resources) {
    const name = SCHEMA_ROOTS[`${apiVersionOf(info)}/${info.kind}`];
    if (!name) continue;
    visit(name);
    found[name] = { ...found[name], 'x-kubernetes-group-version-kind': [{ group: info.group, version: info.version, kind: info.kind }] };
  }
  return Object.fromEntries(Object.entries(found).sort(([a], [b]) => a.localeCompare(b)));
}

// Built once per group version: the documents are large and never change while serving.
const documents = new Map<string, { document: object; hash: string }>();

function documentFor(group: string, version: string): { document: object; hash: string } {
  const key = gvPath(group, version);
  let entry = documents.get(key);
  if (!entry) {
    const resources = RESOURCES.filter((r) => r.group === group && r.version === version);
    const document = {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: KUBERNETES_VERSION.gitVersion },
      paths: Object.assign({}, ...resources.map(operationsFor)),
      components: { schemas: schemasFor(resources) },
    };
    const hash = createHash('sha512').update(JSON.stringify(document)).digest('hex').slice(0, 32).toUpperCase();
    entry = { document, hash };
    documents.set(key, entry);
  }
  return entry;
}

export function openApiV3Document(group: string, version: string): object {
  return documentFor(group, version).document;
}

/** The index kubectl reads first: one entry per group version, with a content hash for caching. */
export function openApiV3Index(): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of groupVersions()) {
    paths[gvPath(group, version)] = { serverRelativeURL: `/openapi/v3/${gvPath(group, version)}?hash=${documentFor(group, version).hash}` };
  }
  return { paths };
}

/** `/openapi/v3/apis/apps/v1` -> { group: 'apps', version: 'v1' } when served. */
export function parseOpenApiV3Path(pathname: string): { group: string; version: string } | undefined {
  const rest = pathname.slice('/openapi/v3/'.length).split('/');
  const found =
    rest[0] === 'api' && rest.length === 2
      ? { group: '', version: rest[1] }
      : rest[0] === 'apis' && rest.length === 3
        ? { group: rest[1], version: rest[2] }
        : undefined;
  if (!found) return undefined;
  return groupVersions().some((gv) => apiVersionOf(gv) === apiVersionOf(found)) ? found : undefined;
}
