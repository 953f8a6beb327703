import { describe, it, expect } from 'vitest';
import { ApiError } from '../api/errors.ts';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';

type Obj = Record<string, any>;

const patchDeployment = (original: Obj, patch: unknown): Obj =>
  applyStrategicMergePatch(original, patch, 'apps/v1', 'Deployment') as Obj;

function deployment(containers: Obj[], extra: Obj = {}): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web', tier: 'front' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'web' } },
        spec: { containers, ...extra },
      },
    },
  };
}

const podSpecOf = (d: Obj): Obj => d.spec.template.spec;
const names = (list: Obj[]): unknown[] => list.map((item) => item.name);

function expectBadRequest(run: () => unknown, message: string | RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ApiError);
  expect((caught as ApiError).code).toBe(400);
  expect((caught as ApiError).reason).toBe('BadRequest');
  if (typeof message === 'string') expect((caught as ApiError).message).toBe(message);
  else expect((caught as ApiError).message).toMatch(message);
}

describe('kubectl apply patches (three-way merge computed by kubectl)', () => {
  it('changes one env value and removes another env entry', () => {
    const live = deployment([
      {
        name: 'app',
        image: 'nginx',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: 'x' },
        ],
      },
    ]);
    const lastApplied = '{"apiVersion":"apps/v1","kind":"Deployment"}';
    const patch = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'app' }],
            containers: [
              {
                '$setElementOrder/env': [{ name: 'A' }],
                env: [{ name: 'A', value: '2' }, { $patch: 'delete', name: 'B' }],
                name: 'app',
              },
            ],
          },
        },
      },
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } },
    };

    const result = patchDeployment(live, patch);

    expect(podSpecOf(result).containers).toEqual([{ name: 'app', image: 'nginx', env: [{ name: 'A', value: '2' }] }]);
    expect(result.metadata.annotations).toEqual({ 'kubectl.kubernetes.io/last-applied-configuration': lastApplied });
    expect(result.metadata.labels).toEqual({ app: 'web', tier: 'front' });
    expect(JSON.stringify(result)).not.toContain('$');
  });

  it('adds a container in the order the manifest lists it, keeping a server-added one after', () => {
    const live = deployment([
      { name: 'app', image: 'nginx' },
      { name: 'injected-proxy', image: 'envoy' },
    ]);
    const patch = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'app' }, { name: 'worker' }],
            containers: [{ name: 'worker', image: 'busybox' }],
          },
        },
      },
    };

    const result = patchDeployment(live, patch);

    expect(names(podSpecOf(result).containers)).toEqual(['app', 'worker', 'injected-proxy']);
    expect(podSpecOf(result).containers[1]).toEqual({ name: 'worker', image: 'busybox' });
  });

  it('reorders containers as $setElementOrder says', () => {
    const live = deployment([
      { name: 'a', image: 'x' },
      { name: 'b', image: 'y' },
    ]);
    const patch = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] } } } };

    expect(names(podSpecOf(patchDeployment(live, patch)).containers)).toEqual(['b', 'a']);
  });

  it('removes a container with a delete directive', () => {
    const live = deployment([
      { name: 'app', image: 'nginx' },
      { name: 'sidecar', image: 'busybox' },
    ]);
    const patch = {
      spec: {
        template: {
          spec: { '$setElementOrder/containers': [{ name: 'app' }], containers: [{ $patch: 'delete', name: 'sidecar' }] },
        },
      },
    };

    expect(podSpecOf(patchDeployment(live, patch)).containers).toEqual([{ name: 'app', image: 'nginx' }]);
  });

  it('removes a finalizer through $deleteFromPrimitiveList and keeps the order', () => {
    const live = deployment([{ name: 'app', image: 'nginx' }]);
    live.metadata.finalizers = ['example.com/a', 'example.com/b', 'example.com/c'];
    const patch = {
      metadata: {
        '$setElementOrder/finalizers': ['example.com/a', 'example.com/c'],
        '$deleteFromPrimitiveList/finalizers': ['example.com/b'],
      },
    };

    expect(patchDeployment(live, patch).metadata.finalizers).toEqual(['example.com/a', 'example.com/c']);
  });

  it('switches RollingUpdate to Recreate with $retainKeys, dropping rollingUpdate', () => {
    const live = deployment([{ name: 'app', image: 'nginx' }]);
    // What kubectl apply sends once the manifest says `strategy: {type: Recreate}`.
    const patch = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } };

    expect(patchDeployment(live, patch).spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('replaces a volume source using the $retainKeys kubectl puts in each volume', () => {
    const live = deployment([{ name: 'app', image: 'nginx' }], {
      volumes: [
        { name: 'data', emptyDir: {} },
        { name: 'cache', emptyDir: { medium: 'Memory' } },
      ],
    });
    const patch = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/volumes': [{ name: 'data' }, { name: 'cache' }],
            volumes: [{ $retainKeys: ['configMap', 'name'], configMap: { name: 'settings' }, emptyDir: null, name: 'data' }],
          },
        },
      },
    };

    expect(podSpecOf(patchDeployment(live, patch)).volumes).toEqual([
      { name: 'data', configMap: { name: 'settings' } },
      { name: 'cache', emptyDir: { medium: 'Memory' } },
    ]);
  });
});

describe('kubectl patch --type strategic (examples from "Update API Objects in Place Using kubectl patch")', () => {
  it('merges a new container into the list, ahead of the existing one as the docs show', () => {
    const live = deployment([{ name: 'patch-demo-ctr', image: 'nginx' }]);
    const patch = { spec: { template: { spec: { containers: [{ name: 'patch-demo-ctr-2', image: 'redis' }] } } } };

    expect(podSpecOf(patchDeployment(live, patch)).containers).toEqual([
      { name: 'patch-demo-ctr-2', image: 'redis' },
      { name: 'patch-demo-ctr', image: 'nginx' },
    ]);
  });

  it('replaces tolerations whole, since the field has no patch strategy', () => {
    const live = deployment([{ name: 'app', image: 'nginx' }], {
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
    });
    const patch = {
      spec: { template: { spec: { tolerations: [{ effect: 'NoSchedule', key: 'disktype', value: 'ssd' }] } } },
    };

    expect(podSpecOf(patchDeployment(live, patch)).tolerations).toEqual([
      { effect: 'NoSchedule', key: 'disktype', value: 'ssd' },
    ]);
  });

  it('clears rollingUpdate when the patch carries $retainKeys: [type]', () => {
    const live = deployment([{ name: 'app', image: 'nginx' }]);
    const patch = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } };

    expect(patchDeployment(live, patch).spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('keeps rollingUpdate when the patch only sets type (the docs then show a validation error)', () => {
    const live = deployment([{ name: 'app', image: 'nginx' }]);

    expect(patchDeployment(live, { spec: { strategy: { type: 'Recreate' } } }).spec.strategy).toEqual({
      type: 'Recreate',
      rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
    });
  });
});

describe('maps', () => {
  it('removes a label with null and leaves the others', () => {
    const live = deployment([{ name: 'app', image: 'nginx' }]);

    expect(patchDeployment(live, { metadata: { labels: { tier: null, env: 'prod' } } }).metadata.labels).toEqual({
      app: 'web',
      env: 'prod',
    });
  });

  it('replaces a whole map with $patch: replace', () => {
    const live = deployment([{ name: 'app', image: 'nginx' }], { nodeSelector: { disk: 'hdd', zone: 'a' } });
    const patch = { spec: { template: { spec: { nodeSelector: { $patch: 'replace', disk: 'ssd' } } } } };

    expect(podSpecOf(patchDeployment(live, patch)).nodeSelector).toEqual({ disk: 'ssd' });
  });

  it('empties a map with $patch: delete', () => {
    const live = deployment([{ name: 'app', image: 'nginx' }]);

    expect(patchDeployment(live, { metadata: { labels: { $patch: 'delete' } } }).metadata.labels).toEqual({});
  });

  it('drops nulls and directives inside values the original lacked', () => {
    const live = deployment([{ name: 'app', image: 'nginx' }]);
    const patch = { spec: { template: { spec: { securityContext: { runAsUser: 1000, fsGroup: null } } } } };

    expect(podSpecOf(patchDeployment(live, patch)).securityContext).toEqual({ runAsUser: 1000 });
  });

  it('deletes a field inside a merged container with null', () => {
    const live = deployment([{ name: 'app', image: 'nginx', command: ['nginx', '-g', 'daemon off;'] }]);
    const patch = { spec: { template: { spec: { containers: [{ name: 'app', command: null }] } } } };

    expect(podSpecOf(patchDeployment(live, patch)).containers).toEqual([{ name: 'app', image: 'nginx' }]);
  });
});

describe('lists', () => {
  it('merges Service ports by port', () => {
    const live = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: {
        ports: [
          { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
          { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
        ],
      },
    };
    const patch = { spec: { ports: [{ port: 80, targetPort: 9090 }] } };

    const result = applyStrategicMergePatch(live, patch, 'v1', 'Service') as Obj;

    expect(result.spec.ports).toEqual([
      { name: 'http', port: 80, targetPort: 9090, protocol: 'TCP' },
      { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
    ]);
  });

  it('unions finalizers, new ones in patch order before the rest', () => {
    const live = deployment([{ name: 'app', image: 'nginx' }]);
    live.metadata.finalizers = ['a', 'b', 'c'];

    expect(patchDeployment(live, { metadata: { finalizers: ['c', 'a'] } }).metadata.finalizers).toEqual(['b', 'c', 'a']);
    expect(patchDeployment(live, { metadata: { finalizers: ['d', 'a'] } }).metadata.finalizers).toEqual([
      'd',
      'a',
      'b',
      'c',
    ]);
  });

  it('keeps the order of the patch in a merging list (apimachinery fixtures)', () => {
    const live = deployment([{ name: '1' }, { name: '2', image: 'b' }, { name: '3' }]);
    const all = { spec: { template: { spec: { containers: [{ name: '3', image: 'c' }, { name: '1', image: 'a' }, { name: '2', tty: true }] } } } };
    const some = { spec: { template: { spec: { containers: [{ name: '3', image: 'c' }, { name: '1', image: 'a' }] } } } };

    expect(podSpecOf(patchDeployment(live, all)).containers).toEqual([
      { name: '3', image: 'c' },
      { name: '1', image: 'a' },
      { name: '2', image: 'b', tty: true },
    ]);
    expect(podSpecOf(patchDeployment(live, some)).containers).toEqual([
      { name: '2', image: 'b' },
      { name: '3', image: 'c' },
      { name: '1', image: 'a' },
    ]);
  });

  it('replaces a merging list with a $patch: replace element', () => {
    const live = deployment([
      { name: 'app', image: 'nginx' },
      { name: 'sidecar', image: 'busybox' },
    ]);
    const patch = { spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'solo', image: 'redis' }] } } } };

    expect(podSpecOf(patchDeployment(live, patch)).containers).toEqual([{ name: 'solo', image: 'redis' }]);
  });

  it('deletes every entry with the key and ignores a delete that matches nothing', () => {
    const live = deployment([{ name: 'app', image: 'nginx', env: [{ name: 'X', value: '1' }, { name: 'Y' }] }]);
    const patch = {
      spec: {
        template: {
          spec: { containers: [{ name: 'app', env: [{ $patch: 'delete', name: 'Y' }, { $patch: 'delete', name: 'missing' }] }] },
        },
      },
    };

    expect(podSpecOf(patchDeployment(live, patch)).containers[0].env).toEqual([{ name: 'X', value: '1' }]);
  });

  it('merges nested keyed lists: ports by containerPort, volumeMounts by mountPath', () => {
    const live = deployment([
      {
        name: 'app',
        image: 'nginx',
        ports: [{ containerPort: 80, name: 'http' }],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      },
    ]);
    const patch = {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'app', ports: [{ containerPort: 80, protocol: 'TCP' }], volumeMounts: [{ mountPath: '/data', readOnly: true }] },
            ],
          },
        },
      },
    };

    const [container] = podSpecOf(patchDeployment(live, patch)).containers;
    expect(container.ports).toEqual([{ containerPort: 80, name: 'http', protocol: 'TCP' }]);
    expect(container.volumeMounts).toEqual([{ name: 'data', mountPath: '/data', readOnly: true }]);
  });

  it('replaces envFrom whole (no patch strategy)', () => {
    const live = deployment([{ name: 'app', envFrom: [{ configMapRef: { name: 'a' } }] }]);
    const patch = { spec: { template: { spec: { containers: [{ name: 'app', envFrom: [{ secretRef: { name: 'b' } }] }] } } } };

    expect(podSpecOf(patchDeployment(live, patch)).containers[0].envFrom).toEqual([{ secretRef: { name: 'b' } }]);
  });

  it('does not create a list from a deletion list', () => {
    const live = deployment([{ name: 'app', image: 'nginx' }]);

    expect(patchDeployment(live, { metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] } }).metadata).not.toHaveProperty(
      'finalizers',
    );
  });
});

describe('kinds', () => {
  it('merges Pod status conditions by type', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      status: {
        phase: 'Pending',
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Ready', status: 'False' },
        ],
      },
    };
    const patch = { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } };

    expect((applyStrategicMergePatch(pod, patch, 'v1', 'Pod') as Obj).status).toEqual({
      phase: 'Running',
      conditions: [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: 'True' },
      ],
    });
  });

  it('replaces Node taints but merges Node addresses by type', () => {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n' },
      spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] },
      status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'n' }] },
    };
    const patch = {
      spec: { taints: [{ key: 'b', effect: 'NoExecute' }] },
      status: { addresses: [{ type: 'InternalIP', address: '10.0.0.2' }] },
    };

    const result = applyStrategicMergePatch(node, patch, 'v1', 'Node') as Obj;
    expect(result.spec.taints).toEqual([{ key: 'b', effect: 'NoExecute' }]);
    expect(result.status.addresses).toEqual([
      { type: 'InternalIP', address: '10.0.0.2' },
      { type: 'Hostname', address: 'n' },
    ]);
  });

  it('reaches the pod template inside a CronJob job template', () => {
    const cronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'c' },
      spec: {
        schedule: '* * * * *',
        jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job', image: 'busybox' }] } } } },
      },
    };
    const patch = { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job', image: 'alpine' }] } } } } } };

    const result = applyStrategicMergePatch(cronJob, patch, 'batch/v1', 'CronJob') as Obj;
    expect(result.spec.jobTemplate.spec.template.spec.containers).toEqual([{ name: 'job', image: 'alpine' }]);
  });

  it('merges ownerReferences by uid on any kind', () => {
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', ownerReferences: [{ uid: '1', name: 'a', kind: 'Deployment' }] },
      data: { a: '1' },
    };
    const patch = { metadata: { ownerReferences: [{ uid: '2', name: 'b', kind: 'Deployment' }] }, data: { b: '2' } };

    const result = applyStrategicMergePatch(configMap, patch, 'v1', 'ConfigMap') as Obj;
    expect(result.metadata.ownerReferences.map((o: Obj) => o.uid)).toEqual(['2', '1']);
    expect(result.data).toEqual({ a: '1', b: '2' });
  });

  it('falls back to merging maps and replacing lists for unknown kinds', () => {
    const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { items: [{ name: 'a' }], opts: { x: 1 } } };
    const patch = { spec: { items: [{ name: 'b' }], opts: { y: 2 } } };

    expect((applyStrategicMergePatch(widget, patch, 'example.com/v1', 'Widget') as Obj).spec).toEqual({
      items: [{ name: 'b' }],
      opts: { x: 1, y: 2 },
    });
  });
});

describe('malformed patches', () => {
  const live = deployment([{ name: 'app', image: 'nginx', env: [{ name: 'A', value: '1' }] }]);

  it('rejects an unknown $patch directive in a list element', () => {
    const patch = { spec: { template: { spec: { containers: [{ $patch: 'frobnicate', name: 'app' }] } } } };
    expectBadRequest(() => patchDeployment(live, patch), 'unknown patch type: frobnicate in map: map[$patch:frobnicate name:app]');
  });

  it('rejects an unknown $patch directive in a map', () => {
    expectBadRequest(
      () => patchDeployment(live, { metadata: { labels: { $patch: 'merge', a: 'b' } } }),
      'unknown patch type: merge in map: map[$patch:merge a:b]',
    );
  });

  it('rejects a keyed list element without its merge key, in Kubernetes words', () => {
    const patch = { spec: { template: { spec: { containers: [{ image: 'httpd' }] } } } };
    expectBadRequest(() => patchDeployment(live, patch), 'map: map[image:httpd] does not contain declared merge key: name');
  });

  it('rejects a $setElementOrder that contradicts the patch list', () => {
    const twoContainers = deployment([{ name: 'a' }, { name: 'b' }]);
    const patch = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }],
            containers: [{ name: 'b', image: 'x' }, { name: 'a', image: 'y' }],
          },
        },
      },
    };
    expectBadRequest(() => patchDeployment(twoContainers, patch), /doesn't match \$setElementOrder list/);
  });

  it('rejects keys outside $retainKeys', () => {
    const patch = { spec: { strategy: { $retainKeys: ['type'], type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
    expectBadRequest(() => patchDeployment(live, patch), 'invalid patch format of retainKeys');
  });

  it('rejects a patch that is not an object', () => {
    expectBadRequest(() => patchDeployment(live, [1]), 'json: cannot unmarshal array into Go value of type map[string]interface {}');
  });

  it('rejects lists of lists', () => {
    const patch = { metadata: { finalizers: [['a']] } };
    const withFinalizers = { ...live, metadata: { ...live.metadata, finalizers: [['b']] } };
    expectBadRequest(() => patchDeployment(withFinalizers, patch), 'lists of lists are not supported');
  });
});

describe('purity', () => {
  it('mutates neither the original nor the patch', () => {
    const live = deployment(
      [{ name: 'app', image: 'nginx', env: [{ name: 'A', value: '1' }, { name: 'B', value: 'x' }] }],
      { volumes: [{ name: 'data', emptyDir: {} }] },
    );
    live.metadata.finalizers = ['a', 'b'];
    const patch = {
      metadata: { labels: { tier: null }, '$deleteFromPrimitiveList/finalizers': ['a'] },
      spec: {
        strategy: { $retainKeys: ['type'], type: 'Recreate' },
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'app' }, { name: 'new' }],
            containers: [{ name: 'app', env: [{ name: 'A', value: '2' }, { $patch: 'delete', name: 'B' }] }, { name: 'new' }],
            volumes: [{ $retainKeys: ['configMap', 'name'], name: 'data', configMap: { name: 'cm' } }],
          },
        },
      },
    };
    const liveBefore = structuredClone(live);
    const patchBefore = structuredClone(patch);

    const result = patchDeployment(live, patch);

    expect(live).toEqual(liveBefore);
    expect(patch).toEqual(patchBefore);
    expect(result).not.toBe(live);
    expect(podSpecOf(result).containers).toEqual([
      { name: 'app', image: 'nginx', env: [{ name: 'A', value: '2' }] },
      { name: 'new' },
    ]);
  });
});
