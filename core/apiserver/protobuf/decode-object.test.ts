import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { ApiError } from '../../api/errors.ts';
import { decodeKubernetesProtobuf, decodeKubernetesProtobufWithUnknownFields } from './decode-object.ts';
import { WireWriter, kubernetesProtobufBody } from './wire-writer.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const fixtureJson = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));

function apiErrorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

const objectMeta = (w: WireWriter, name: string) => w.message(1, (m) => m.string(1, name));

// Bodies real kubectl 1.32 sent (captured with a recording server), next to what
// the same command prints with `--dry-run=client -o json`.
describe('decodeKubernetesProtobuf on bodies captured from kubectl', () => {
  const sameAsKubectlJson: [fixture: string, command: string][] = [
    ['namespace', 'create namespace demo'],
    ['configmap-literal', 'create configmap settings --from-literal=mode=fast --from-literal=empty='],
    ['configmap-file', 'create configmap files --from-file=text.txt --from-file=blob.bin (binary)'],
    ['secret-generic', "create secret generic creds --from-literal=user=admin --from-literal=password='p@ss w0rd'"],
    ['deployment', 'create deployment web --image=nginx:1.27 --replicas=3 --port=80'],
    ['deployment-zero-replicas', 'create deployment idle --image=nginx --replicas=0'],
    ['deployment-two-images', 'create deployment multi --image=nginx --image=busybox:1.36'],
    ['job', 'create job once --image=busybox -- echo hi'],
    ['cronjob', "create cronjob tick --image=busybox --schedule='*/5 * * * *' -- date"],
    ['service-clusterip', 'create service clusterip api --tcp=80:8080 --tcp=443:8443'],
    ['serviceaccount', 'create serviceaccount builder'],
    ['quota', 'create quota limits --hard=cpu=1500m,memory=1Gi,pods=10'],
    ['pdb-percent', 'create pdb budget --selector=app=web --min-available=50%'],
    ['pdb-int', 'create pdb budget2 --selector=app=web --max-unavailable=1'],
    ['hpa-autoscale', 'autoscale deployment web --min=2 --max=5 --cpu-percent=80'],
    // `kubectl run` posts JSON; `kubectl debug --copy-to` posts the same pod as protobuf.
    // Its .json is the source pod (made by `kubectl run shell --image=nginx --env=A=1 --env=B=two
    // --labels=app=shell,tier=web --port=8080 --command -- sleep 3600`) with the new image.
    ['pod-copy', "debug shell --copy-to=shell-copy --set-image='*=nginx:1.27'"],
  ];

  // Go's JSON writes these int32 status fields even when zero (no omitempty); their zero on
  // the protobuf wire is indistinguishable from unset, so the decoded form leaves them out.
  const zeroStatusFieldsKubectlPrints: Record<string, string[]> = {
    'pdb-percent': ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'],
    'pdb-int': ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'],
    'hpa-autoscale': ['currentReplicas', 'desiredReplicas'],
  };

  for (const [name, command] of sameAsKubectlJson) {
    it(`kubectl ${command}`, () => {
      const { object, unknownFields } = decodeKubernetesProtobufWithUnknownFields(fixture(`${name}.bin`));
      const expected = fixtureJson(name);
      for (const field of zeroStatusFieldsKubectlPrints[name] ?? []) {
        expect(expected.status[field]).toBe(0);
        delete expected.status[field];
      }
      expect(object).toEqual(expected);
      expect(unknownFields).toEqual([]);
    });
  }

  it('keeps replicas: 0, a pointer field set on purpose', () => {
    const object = decodeKubernetesProtobuf(fixture('deployment-zero-replicas.bin')) as { spec: { replicas?: number } };
    expect(object.spec.replicas).toBe(0);
  });

  it('gives binary configmap data as base64 binaryData', () => {
    const object = decodeKubernetesProtobuf(fixture('configmap-file.bin'));
    expect(object.binaryData).toEqual({ 'blob.bin': Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x7f, 10, 13]).toString('base64') });
    expect(object.data).toEqual({ 'text.txt': 'hello\n' });
  });

  it('decodes the TokenRequest of kubectl create token builder --duration=1h --audience=api', () => {
    expect(decodeKubernetesProtobuf(fixture('token-request.bin'))).toEqual({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: { creationTimestamp: null },
      spec: { audiences: ['api'], expirationSeconds: 3600 },
      status: { expirationTimestamp: null },
    });
  });

  it('answers 415 for a kind it has no schema for (kubectl create role)', () => {
    const error = apiErrorOf(() => decodeKubernetesProtobuf(fixture('role.bin')));
    expect(error.code).toBe(415);
    expect(error.reason).toBe('UnsupportedMediaType');
    expect(error.message).toContain('rbac.authorization.k8s.io/v1 Role');
    expect(error.message).toContain('application/json');
  });
});

describe('decodeKubernetesProtobuf on hand-built messages', () => {
  it('keeps pointer zeros and negatives, drops value-field zeros like Go JSON omitempty', () => {
    const deployment = new WireWriter()
      .message(1, (m) => m.string(1, 'web').string(2, '').string(3, 'demo').varint(7, 0).varint(10, -1))
      .message(2, (spec) =>
        spec
          .varint(1, 0) // replicas *int32
          .varint(5, 0) // minReadySeconds int32
          .varint(6, -1) // revisionHistoryLimit *int32
          .varint(7, false) // paused bool
          .message(4, (strategy) =>
            strategy.string(1, 'RollingUpdate').message(2, (ru) =>
              ru.message(1, (i) => i.varint(1, 0).varint(2, 1).string(3, '')).message(2, (i) => i.varint(1, 1).varint(2, 0).string(3, '25%')),
            ),
          ),
      )
      .message(3, () => undefined)
      .finish();
    expect(decodeKubernetesProtobuf(kubernetesProtobufBody('apps/v1', 'Deployment', deployment))).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'demo', deletionGracePeriodSeconds: -1 },
      spec: {
        replicas: 0,
        revisionHistoryLimit: -1,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '25%' } },
      },
      status: {},
    });
  });

  it('decodes maps, bytes as base64, nested repeated messages, quantities and int-or-string ports', () => {
    const secret = new WireWriter()
      .message(1, (m) => m.string(1, 's').mapEntry(11, 'app', 'web').mapEntry(11, 'tier', '').mapEntry(12, 'note', 'x'))
      .mapEntry(2, 'password', new TextEncoder().encode('p@ss'))
      .mapEntry(2, 'blob', Uint8Array.of(0xff, 0x00))
      .string(3, 'Opaque')
      .finish();
    expect(decodeKubernetesProtobuf(kubernetesProtobufBody('v1', 'Secret', secret))).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', labels: { app: 'web', tier: '' }, annotations: { note: 'x' } },
      data: { password: 'cEBzcw==', blob: '/wA=' },
      type: 'Opaque',
    });

    const container = (w: WireWriter, name: string) =>
      w
        .string(1, name)
        .string(2, 'nginx')
        .message(6, (p) => p.string(1, 'http').varint(3, 80).string(4, 'TCP'))
        .message(6, (p) => p.varint(3, 443))
        .message(7, (e) => e.string(1, 'A').string(2, '1'))
        .message(7, (e) =>
          e.string(1, 'POD_IP').message(3, (src) => src.message(1, (f) => f.string(1, 'v1').string(2, 'status.podIP'))),
        )
        .message(8, (r) =>
          r
            .mapEntry(1, 'cpu', (q) => q.string(1, '500m'))
            .mapEntry(1, 'memory', (q) => q.string(1, '128Mi'))
            .mapEntry(2, 'cpu', () => undefined),
        )
        .message(9, (vm) => vm.string(1, 'data').varint(2, true).string(3, '/data'))
        .message(10, (probe) =>
          probe
            .message(1, (h) => h.message(2, (get) => get.string(1, '/healthz').message(2, (port) => port.varint(1, 1).string(3, 'http'))))
            .varint(2, 0)
            .varint(4, 5),
        );
    const pod = new WireWriter()
      .message(1, (m) => m.string(1, 'p'))
      .message(2, (spec) =>
        spec
          .message(1, (v) => v.string(1, 'data').message(2, (src) => src.message(2, () => undefined)))
          .message(1, (v) =>
            v.string(1, 'cfg').message(2, (src) =>
              src.message(19, (cm) => cm.message(1, (r) => r.string(1, 'settings')).message(2, (item) => item.string(1, 'k').string(2, 'k.txt')).varint(3, 420)),
            ),
          )
          .message(2, (c) => container(c, 'web'))
          .message(2, (c) => container(c, 'sidecar'))
          .varint(4, 0) // terminationGracePeriodSeconds *int64
          .message(22, (t) => t.string(1, 'node-role').string(2, 'Exists').string(4, 'NoSchedule')),
      )
      .finish();
    const decoded = decodeKubernetesProtobuf(kubernetesProtobufBody('v1', 'Pod', pod)) as {
      spec: { containers: Record<string, unknown>[]; volumes: unknown[]; terminationGracePeriodSeconds: number; tolerations: unknown[] };
    };
    expect(decoded.spec.volumes).toEqual([
      { name: 'data', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'settings', items: [{ key: 'k', path: 'k.txt' }], defaultMode: 420 } },
    ]);
    expect(decoded.spec.terminationGracePeriodSeconds).toBe(0);
    expect(decoded.spec.tolerations).toEqual([{ key: 'node-role', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(decoded.spec.containers.map((c) => c.name)).toEqual(['web', 'sidecar']);
    expect(decoded.spec.containers[1]).toEqual({
      name: 'sidecar',
      image: 'nginx',
      ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }],
      env: [
        { name: 'A', value: '1' },
        { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
      ],
      resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '0' } },
      volumeMounts: [{ name: 'data', readOnly: true, mountPath: '/data' }],
      livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 },
    });
  });

  it('decodes int-or-string service target ports in both forms', () => {
    const service = new WireWriter()
      .message(1, (m) => m.string(1, 'api'))
      .message(2, (spec) =>
        spec
          .message(1, (p) => p.string(1, 'http').string(2, 'TCP').varint(3, 80).message(4, (t) => t.varint(1, 0).varint(2, 8080).string(3, '')))
          .message(1, (p) => p.string(1, 'grpc').varint(3, 9090).message(4, (t) => t.varint(1, 1).varint(2, 0).string(3, 'grpc-port')))
          .string(4, 'ClusterIP'),
      )
      .finish();
    const decoded = decodeKubernetesProtobuf(kubernetesProtobufBody('v1', 'Service', service)) as { spec: { ports: unknown[] } };
    expect(decoded.spec.ports).toEqual([
      { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
      { name: 'grpc', port: 9090, targetPort: 'grpc-port' },
    ]);
  });

  it('gives Time at seconds precision, MicroTime with microseconds, zero times as null', () => {
    const seconds = Date.UTC(2026, 0, 2, 3, 4, 5) / 1000;
    const lease = new WireWriter()
      .message(1, (m) => m.string(1, 'leader').message(8, (t) => t.varint(1, seconds).varint(2, 987654321)))
      .message(2, (spec) =>
        spec
          .string(1, 'kubelab-controller-manager')
          .varint(2, 15)
          .message(3, (t) => t.varint(1, seconds).varint(2, 123456789))
          .message(4, () => undefined)
          .varint(5, 0),
      )
      .finish();
    expect(decodeKubernetesProtobuf(kubernetesProtobufBody('coordination.k8s.io/v1', 'Lease', lease))).toEqual({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'leader', creationTimestamp: '2026-01-02T03:04:05Z' },
      spec: {
        holderIdentity: 'kubelab-controller-manager',
        leaseDurationSeconds: 15,
        acquireTime: '2026-01-02T03:04:05.123456Z',
        renewTime: null,
        leaseTransitions: 0,
      },
    });
  });

  it('parses RawExtension and managedFields JSON', () => {
    const revision = new WireWriter()
      .message(1, (m) =>
        m
          .string(1, 'web-1')
          .message(17, (f) => f.string(1, 'kubectl').string(2, 'Update').string(3, 'apps/v1').string(6, 'FieldsV1').message(7, (raw) => raw.string(1, '{"f:spec":{}}'))),
      )
      .message(2, (raw) => raw.string(1, '{"spec":{"replicas":2}}'))
      .varint(3, 1)
      .finish();
    expect(decodeKubernetesProtobuf(kubernetesProtobufBody('apps/v1', 'ControllerRevision', revision))).toEqual({
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: 'web-1',
        managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }],
      },
      data: { spec: { replicas: 2 } },
      revision: 1,
    });
  });

  it('decodes a RawExtension holding a protobuf object in turn', () => {
    const inner = kubernetesProtobufBody('v1', 'ConfigMap', new WireWriter().message(1, (m) => m.string(1, 'c')).finish());
    const revision = new WireWriter().message(1, (m) => m.string(1, 'r')).message(2, (raw) => raw.bytes(1, inner)).finish();
    const decoded = decodeKubernetesProtobuf(kubernetesProtobufBody('apps/v1', 'ControllerRevision', revision));
    expect(decoded.data).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } });
  });

  it('decodes DeleteOptions under the resource group version, Eviction, Scale and Binding', () => {
    const deleteOptions = new WireWriter().varint(1, 0).string(4, 'Foreground').string(5, 'All').finish();
    expect(decodeKubernetesProtobuf(kubernetesProtobufBody('apps/v1', 'DeleteOptions', deleteOptions))).toEqual({
      apiVersion: 'apps/v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      propagationPolicy: 'Foreground',
      dryRun: ['All'],
    });

    const eviction = new WireWriter().message(1, (m) => m.string(1, 'p').string(3, 'demo')).message(2, (o) => o.varint(1, 30)).finish();
    expect(decodeKubernetesProtobuf(kubernetesProtobufBody('policy/v1', 'Eviction', eviction))).toEqual({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'p', namespace: 'demo' },
      deleteOptions: { gracePeriodSeconds: 30 },
    });

    const scale = new WireWriter().message(1, (m) => m.string(1, 'web')).message(2, (s) => s.varint(1, 0)).message(3, () => undefined).finish();
    expect(decodeKubernetesProtobuf(kubernetesProtobufBody('autoscaling/v1', 'Scale', scale))).toEqual({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'web' },
      spec: {},
      status: {},
    });

    const binding = new WireWriter().message(1, (m) => m.string(1, 'p')).message(2, (t) => t.string(1, 'Node').string(3, 'node-1')).finish();
    expect(decodeKubernetesProtobuf(kubernetesProtobufBody('v1', 'Binding', binding))).toEqual({
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'p' },
      target: { kind: 'Node', name: 'node-1' },
    });
  });

  it('skips unknown field numbers and reports where they were', () => {
    const configMap = new WireWriter()
      .message(1, (m) => m.string(1, 'c').varint(99, 7).string(1000, 'future'))
      .mapEntry(2, 'k', 'v')
      .varint(42, 1)
      .finish();
    const { object, unknownFields } = decodeKubernetesProtobufWithUnknownFields(kubernetesProtobufBody('v1', 'ConfigMap', configMap));
    expect(object).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' } });
    expect(unknownFields).toEqual([
      { path: 'metadata', fieldNumber: 99 },
      { path: 'metadata', fieldNumber: 1000 },
      { path: '', fieldNumber: 42 },
    ]);
  });

  it('leaves out repeated fields and maps with no entries', () => {
    const namespace = new WireWriter().message(1, (m) => m.string(1, 'ns')).message(2, () => undefined).finish();
    const decoded = decodeKubernetesProtobuf(kubernetesProtobufBody('v1', 'Namespace', namespace));
    expect(decoded).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' }, spec: {} });
  });
});

describe('decodeKubernetesProtobuf errors', () => {
  const configMapBody = () => kubernetesProtobufBody('v1', 'ConfigMap', new WireWriter().message(1, (m) => m.string(1, 'c')).mapEntry(2, 'k', 'v').finish());

  it('answers 400 for every truncation of a valid body', () => {
    const body = configMapBody();
    for (let length = 0; length < body.length; length++) {
      const truncated = body.subarray(0, length);
      let outcome: unknown;
      try {
        outcome = decodeKubernetesProtobuf(truncated);
      } catch (e) {
        outcome = e;
      }
      // A cut that lands exactly between envelope fields can still be a valid, shorter message.
      if (!(outcome instanceof Error)) continue;
      expect(outcome).toBeInstanceOf(ApiError);
      expect([400, 415]).toContain((outcome as ApiError).code);
    }
  });

  it('answers 400 for an object message cut short inside its envelope', () => {
    const configMap = new WireWriter().message(1, (m) => m.string(1, 'c')).mapEntry(2, 'k', 'v').finish();
    for (const length of [1, 3, configMap.length - 1]) {
      const error = apiErrorOf(() => decodeKubernetesProtobuf(kubernetesProtobufBody('v1', 'ConfigMap', configMap.subarray(0, length))));
      expect(error.code).toBe(400);
      expect(error.message).toContain('v1 ConfigMap is malformed');
    }
  });

  it('answers 400 for a body without the k8s\\0 prefix', () => {
    const error = apiErrorOf(() => decodeKubernetesProtobuf(new TextEncoder().encode('{"kind":"ConfigMap"}')));
    expect(error.code).toBe(400);
    expect(error.message).toContain('k8s');
  });

  it('answers 400 for a field with the wrong wire type', () => {
    const body = kubernetesProtobufBody('v1', 'ConfigMap', new WireWriter().message(1, (m) => m.varint(1, 5)).finish());
    const error = apiErrorOf(() => decodeKubernetesProtobuf(body));
    expect(error.code).toBe(400);
    expect(error.message).toContain('"name"');
  });

  it('answers 400 for a RawExtension that is not JSON', () => {
    const revision = new WireWriter().message(1, (m) => m.string(1, 'r')).message(2, (raw) => raw.string(1, 'not json')).finish();
    expect(apiErrorOf(() => decodeKubernetesProtobuf(kubernetesProtobufBody('apps/v1', 'ControllerRevision', revision))).code).toBe(400);
  });

  it('answers 400 when the envelope names no kind', () => {
    expect(apiErrorOf(() => decodeKubernetesProtobuf(kubernetesProtobufBody('v1', '', new Uint8Array()))).code).toBe(400);
  });

  it('answers 415 naming the kind for an apiVersion/kind without a schema', () => {
    const error = apiErrorOf(() => decodeKubernetesProtobuf(kubernetesProtobufBody('example.com/v1', 'Widget', new Uint8Array())));
    expect(error.code).toBe(415);
    expect(error.message).toContain('example.com/v1 Widget');
    expect(error.message).toContain('application/json');
  });

  it('answers 415 for a content-encoded envelope', () => {
    const envelope = new WireWriter()
      .message(1, (t) => t.string(1, 'v1').string(2, 'ConfigMap'))
      .bytes(2, Uint8Array.of(1, 2, 3))
      .string(3, 'gzip')
      .finish();
    const body = Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...envelope]);
    expect(apiErrorOf(() => decodeKubernetesProtobuf(body)).code).toBe(415);
  });
});
