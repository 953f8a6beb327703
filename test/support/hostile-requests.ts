import fc from 'fast-check';
import { MAX_NESTING_DEPTH } from '../../core/api/nesting-depth.ts';
import { parseFieldPath } from '../../core/manifest/field-path.ts';

// Generators of hostile requests for the API server, one family per kind of bad input a
// client can send. Each request is built to be refused: the server must answer 4xx with
// a Status that says what is wrong (`expect` is matched against its message), or, for
// reads, anything short of a 5xx. None of them may change what the store holds.

export interface HostileRequest {
  family: string;
  method: string;
  path: string;
  body?: string | Buffer;
  contentType?: string;
  /** What the refusal's message must contain (a field path, a limit). */
  expect?: RegExp;
  /** A read (list): a 2xx answer is fine, a 5xx is not. */
  read?: boolean;
  /** A watch that cannot start: a 4xx, or a 200 whose first event is an ERROR. */
  failingWatch?: boolean;
}

const NS = '/api/v1/namespaces/default';
const APPS = '/apis/apps/v1/namespaces/default';

interface Template {
  path: string;
  object: Record<string, unknown>;
  /** Fields with one JSON type in Kubernetes' schema, as dotted paths with [0] for the first item. */
  typed: [field: string, type: 'object' | 'array' | 'string' | 'integer' | 'boolean'][];
}

const container = { name: 'main', image: 'kubelab/busybox:test', ports: [{ containerPort: 80 }] };
const podTemplate = { metadata: { labels: { app: 'h' } }, spec: { containers: [container] } };

export const TEMPLATES: Template[] = [
  {
    path: `${NS}/configmaps`,
    object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'h', labels: { a: 'b' } }, data: { k: 'v' } },
    typed: [['data', 'object'], ['metadata.labels', 'object'], ['metadata.name', 'string'], ['metadata.annotations', 'object'], ['immutable', 'boolean'], ['binaryData', 'object']],
  },
  {
    path: `${NS}/pods`,
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'h' }, spec: { containers: [container], nodeSelector: { a: 'b' } } },
    typed: [
      ['spec', 'object'],
      ['spec.containers', 'array'],
      ['spec.containers[0].image', 'string'],
      ['spec.containers[0].ports', 'array'],
      ['spec.containers[0].ports[0].containerPort', 'integer'],
      ['spec.nodeSelector', 'object'],
      ['spec.terminationGracePeriodSeconds', 'integer'],
      ['spec.restartPolicy', 'string'],
    ],
  },
  {
    path: `${APPS}/deployments`,
    object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'h' }, spec: { replicas: 1, selector: { matchLabels: { app: 'h' } }, template: podTemplate } },
    typed: [['spec.replicas', 'integer'], ['spec.selector', 'object'], ['spec.selector.matchLabels', 'object'], ['spec.template', 'object'], ['spec.template.spec.containers', 'array'], ['spec.paused', 'boolean']],
  },
  {
    path: `${NS}/services`,
    object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'h' }, spec: { selector: { app: 'h' }, ports: [{ port: 80 }] } },
    typed: [['spec.ports', 'array'], ['spec.ports[0].port', 'integer'], ['spec.selector', 'object'], ['spec.type', 'string']],
  },
];

/** A copy of `object` with `value` at the dotted `field` path. */
export function withField(object: Record<string, unknown>, field: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(object);
  const steps = parseFieldPath(field);
  let at: any = copy;
  for (const step of steps.slice(0, -1)) at = at[step] ??= {};
  at[steps[steps.length - 1]] = value;
  return copy;
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

const anyValue = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)),
  fc.string(),
  fc.boolean(),
  fc.array(fc.oneof(fc.integer(), fc.string()), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.integer(), fc.array(fc.integer())), { minKeys: 1, maxKeys: 3 }),
);

/** A built-in kind with one field of the wrong JSON type. */
const wrongTypes = fc
  .constantFrom(...TEMPLATES)
  .chain((t) => fc.tuple(fc.constant(t), fc.constantFrom(...t.typed)))
  .chain(([t, [field, type]]) =>
    anyValue
      // A string in an object-typed metadata field is still wrong, but an empty map or
      // one whose values happen to be strings would be right: keep only other types.
      .filter((value) => jsonType(value) !== type && !(type === 'object' && jsonType(value) === 'object'))
      .map((value): HostileRequest => ({
        family: 'wrong type',
        method: 'POST',
        path: t.path,
        body: JSON.stringify(withField(t.object, field, value)),
        expect: new RegExp(field.replace(/[.[\]]/g, '\\$&')),
      })),
  );

/** Arrays, objects or YAML sequences nested past the limit, as the body or inside it. */
const tooDeep = fc.record({ depth: fc.integer({ min: MAX_NESTING_DEPTH + 1, max: 30_000 }), shape: fc.constantFrom('json-array', 'json-object', 'yaml-flow', 'yaml-block'), inside: fc.boolean() }).map(({ depth, shape, inside }): HostileRequest => {
  const nested = {
    'json-array': () => '['.repeat(depth) + ']'.repeat(depth),
    'json-object': () => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
    'yaml-flow': () => '[a, '.repeat(depth) + ']'.repeat(depth),
    'yaml-block': () => '- '.repeat(depth) + 'x',
  }[shape]();
  const yaml = shape.startsWith('yaml');
  const body = !inside
    ? nested
    : yaml && shape === 'yaml-block'
      ? `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  k:\n    ${nested}\n`
      : `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":{"k":${nested}}}`;
  return { family: 'too deep', method: 'POST', path: `${NS}/configmaps`, body, contentType: yaml ? 'application/yaml' : 'application/json', expect: new RegExp(`nested more than ${MAX_NESTING_DEPTH} levels deep`) };
});

/** Bodies past the 3 MiB limit (413), and ConfigMaps past the 1 MiB data limit (422). */
const tooBig = fc.oneof(
  fc.integer({ min: 3 * 2 ** 20 + 1, max: 10 * 2 ** 20 }).map((size): HostileRequest => ({
    family: 'too big',
    method: 'POST',
    path: `${NS}/configmaps`,
    body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { k: 'x'.repeat(size) } }),
    expect: /larger than 3145728 bytes/,
  })),
  fc.integer({ min: 2 ** 20 + 1, max: 3 * 2 ** 20 - 200 }).map((size): HostileRequest => ({
    family: 'too big',
    method: 'POST',
    path: `${NS}/configmaps`,
    body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { k: 'x'.repeat(size) } }),
    expect: /data: Too long/,
  })),
);

/** Billion laughs and merge-key loops, under a ConfigMap's data (which holds only strings). */
const yamlBombs = fc.oneof(
  fc.record({ levels: fc.integer({ min: 2, max: 12 }), width: fc.integer({ min: 2, max: 12 }) }).map(({ levels, width }): HostileRequest => {
    const lines = [`a0: &a0 [${Array(width).fill('"lol"').join(', ')}]`];
    for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array(width).fill(`*a${i - 1}`).join(', ')}]`);
    const body = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
    return { family: 'yaml bomb', method: 'POST', path: `${NS}/configmaps`, body, contentType: 'application/yaml' };
  }),
  fc.constantFrom('data: &d\n  <<: *d\n', 'data: &d\n  k: v\n  <<: [*d, *d]\n', 'data: &d\n  k: *d\n').map(
    (data): HostileRequest => ({ family: 'yaml bomb', method: 'POST', path: `${NS}/configmaps`, body: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: loop\n${data}`, contentType: 'application/yaml' }),
  ),
);

/** DNS-1123 subdomain: what metadata.name must be for most kinds. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const badName = fc.string({ minLength: 1, maxLength: 300 }).filter((name) => name.length > 253 || !DNS_SUBDOMAIN.test(name));
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const badLabelValue = fc.string({ maxLength: 80 }).filter((v) => v.length > 63 || !LABEL_VALUE.test(v));

/** Invalid names and label values, and the same key twice with the bad copy last (last one wins, as in Kubernetes). */
const invalidMetadata = fc.oneof(
  badName.map((name): HostileRequest => ({ family: 'invalid name', method: 'POST', path: `${NS}/configmaps`, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }), expect: /metadata\.name/ })),
  badLabelValue.map((value): HostileRequest => ({ family: 'invalid label', method: 'POST', path: `${NS}/configmaps`, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'l', labels: { app: value } } }), expect: /metadata\.labels/ })),
  badName.map((name): HostileRequest => ({
    family: 'duplicate keys',
    method: 'POST',
    path: `${NS}/configmaps`,
    body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fine"},"metadata":{"name":${JSON.stringify(name)}}}`,
  })),
);

/** Resources nobody serves, kinds that do not match the path, and unknown fields under fieldValidation=Strict. */
const unknownThings = fc.oneof(
  fc.stringMatching(/^[a-z]{1,20}$/).filter((r) => !['configmaps', 'pods', 'services', 'secrets', 'endpoints', 'events', 'serviceaccounts', 'persistentvolumeclaims', 'limitranges', 'resourcequotas', 'podtemplates', 'replicationcontrollers'].includes(r)).map(
    (resource): HostileRequest => ({ family: 'unknown kind', method: 'POST', path: `${NS}/${resource}`, body: JSON.stringify({ apiVersion: 'v1', kind: 'Frob', metadata: { name: 'u' } }) }),
  ),
  fc.constantFrom('Pod', 'Service', 'Secret', 'Deployment', 'Frob', '').map((kind): HostileRequest => ({ family: 'kind mismatch', method: 'POST', path: `${NS}/configmaps`, body: JSON.stringify({ apiVersion: 'v1', kind, metadata: { name: 'm' } }) })),
  fc.tuple(fc.constantFrom(...TEMPLATES), fc.stringMatching(/^[a-z][a-zA-Z]{0,15}$/)).map(
    ([t, field]): HostileRequest => ({ family: 'unknown field', method: 'POST', path: `${t.path}?fieldValidation=Strict`, body: JSON.stringify({ ...t.object, [`zz${field}`]: 1 }), expect: new RegExp(`unknown field "zz${field}"`) }),
  ),
);

const notJson = fc.string({ maxLength: 200 }).filter((text) => {
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
});

/** Patches of the fixture ConfigMap and Deployment that cannot apply. */
export const FIXTURE_CONFIGMAP = `${NS}/configmaps/fixture`;
export const FIXTURE_DEPLOYMENT = `${APPS}/deployments/fixture`;
const PATCH_TYPES = ['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json', 'application/apply-patch+yaml'];
const badPatches = fc.oneof(
  fc.tuple(notJson, fc.constantFrom(...PATCH_TYPES.slice(0, 3))).map(([body, contentType]): HostileRequest => ({ family: 'malformed patch', method: 'PATCH', path: FIXTURE_CONFIGMAP, body, contentType })),
  fc.tuple(anyValue.filter((v) => jsonType(v) !== 'object'), fc.constantFrom(PATCH_TYPES[0], PATCH_TYPES[1])).map(([data, contentType]): HostileRequest => ({
    family: 'patch to a wrong type',
    method: 'PATCH',
    path: FIXTURE_CONFIGMAP,
    body: JSON.stringify({ data }),
    contentType,
    expect: /data/,
  })),
  fc.record({ op: fc.string({ maxLength: 10 }), path: fc.string({ maxLength: 20 }), value: anyValue }).filter(({ op, path }) => !['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(op) || !path.startsWith('/')).map(
    (operation): HostileRequest => ({ family: 'bad json patch', method: 'PATCH', path: FIXTURE_CONFIGMAP, body: JSON.stringify([operation]), contentType: PATCH_TYPES[2] }),
  ),
  anyValue.map((value): HostileRequest => ({ family: 'failing json patch test', method: 'PATCH', path: FIXTURE_CONFIGMAP, body: JSON.stringify([{ op: 'test', path: '/data/k', value: [value] }, { op: 'remove', path: '/data' }]), contentType: PATCH_TYPES[2] })),
  fc.string({ maxLength: 10 }).filter((d) => !['replace', 'merge', 'delete'].includes(d)).map((directive): HostileRequest => ({
    family: 'bad strategic merge directive',
    method: 'PATCH',
    path: FIXTURE_DEPLOYMENT,
    body: JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'main', $patch: directive }] } } } }),
    contentType: PATCH_TYPES[1],
  })),
  fc.constant<HostileRequest>({ family: 'oversized patch', method: 'PATCH', path: FIXTURE_CONFIGMAP, body: JSON.stringify({ data: { k: 'x'.repeat(4 * 2 ** 20) } }), contentType: PATCH_TYPES[0], expect: /larger than/ }),
  anyValue.map((replicas): HostileRequest => ({ family: 'patch to a wrong type', method: 'PATCH', path: FIXTURE_DEPLOYMENT, body: JSON.stringify({ spec: { replicas: jsonType(replicas) === 'integer' ? -1 - Math.abs(replicas as number) : replicas } }), contentType: PATCH_TYPES[1], expect: /spec\.replicas/ })),
);

/** Protobuf bodies that are not a Kubernetes object: random bytes with and without the magic prefix. */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const badProtobuf = fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 300 })).map(([magic, bytes]): HostileRequest => ({
  family: 'bad protobuf',
  method: 'POST',
  path: `${NS}/configmaps`,
  body: magic ? Buffer.concat([MAGIC, bytes]) : Buffer.from(bytes),
  contentType: 'application/vnd.kubernetes.protobuf',
}));

/** Watches and lists from resourceVersions no store has, and selectors of every shape. */
const absurdReads = fc.oneof(
  fc.oneof(fc.bigInt({ min: 2n ** 63n, max: 2n ** 100n }).map(String), fc.integer({ max: -1 }).map(String), fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !/^\d+$/.test(s)), fc.double().filter((d) => !Number.isInteger(d) || d < 0).map(String)).map(
    (rv): HostileRequest => ({ family: 'absurd resourceVersion', method: 'GET', path: `/api/v1/configmaps?watch=true&timeoutSeconds=1&resourceVersion=${encodeURIComponent(rv)}`, failingWatch: true }),
  ),
  fc.tuple(fc.constantFrom('labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersionMatch', 'timeoutSeconds'), fc.string({ maxLength: 60 })).map(
    ([parameter, value]): HostileRequest => ({ family: 'odd query', method: 'GET', path: `${NS}/configmaps?${parameter}=${encodeURIComponent(value)}`, read: true }),
  ),
);

const ACCEPTED_TYPES = ['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml', 'application/vnd.kubernetes.protobuf', '*/*', ''];
const badContentTypes = fc.stringMatching(/^[!-~][ -~]{0,40}$/).filter((type) => !ACCEPTED_TYPES.includes(type.split(';')[0].trim().toLowerCase())).map(
  (contentType): HostileRequest => ({ family: 'bad content type', method: 'POST', path: `${NS}/configmaps`, body: JSON.stringify(TEMPLATES[0].object), contentType }),
);

/** Each family with the number of requests it contributes; 10,000 and more in all. */
export const HOSTILE_FAMILIES: [name: string, requests: fc.Arbitrary<HostileRequest>, runs: number][] = [
  ['wrong types', wrongTypes, 2000],
  ['nesting past the limit', tooDeep, 300],
  ['bodies past the size limits', tooBig, 30],
  ['YAML anchor bombs and merge-key loops', yamlBombs, 300],
  ['invalid names, labels and duplicate keys', invalidMetadata, 2000],
  ['unknown kinds and fields', unknownThings, 1000],
  ['malformed and impossible patches', badPatches, 2000],
  ['bad protobuf bodies', badProtobuf, 1000],
  ['absurd resourceVersions and query parameters', absurdReads, 1000],
  ['bad content types', badContentTypes, 500],
];
