import { describe, it, expect } from 'vitest';
import type { KubeObject } from '../api/kube-object.ts';
import { findByPlural, type ResourceInfo } from '../api/resource-catalog.ts';
import { acceptsTable, includeObjectFromQuery, toTable } from './table.ts';

const now = new Date('2024-05-10T12:00:00Z');
const CREATED = '2024-05-10T11:00:00Z'; // one hour before now: AGE 60m

function info(group: string, version: string, plural: string): ResourceInfo {
  const found = findByPlural(group, version, plural);
  if (!found) throw new Error(`no resource ${plural}`);
  return found;
}

const PODS = info('', 'v1', 'pods');

function obj(kind: string, name: string, fields: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind,
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: CREATED, ...metadata },
    ...fields,
  };
}

/** Cells of a single object. */
function cellsOf(resource: ResourceInfo, object: KubeObject): unknown[] {
  return toTable(resource, [object], { now }).rows[0].cells;
}

/** [name, type, format, priority] of each column, the parts kubectl acts on. */
function columnShape(resource: ResourceInfo): [string, string, string, number][] {
  return toTable(resource, [], { now }).columnDefinitions.map((c) => [c.name, c.type, c.format, c.priority]);
}

const appContainer = { name: 'app', image: 'nginx:1.27' };

describe('pods', () => {
  it('has the columns of Kubernetes pod printer, wide ones at priority 1', () => {
    expect(columnShape(PODS)).toEqual([
      ['Name', 'string', 'name', 0],
      ['Ready', 'string', '', 0],
      ['Status', 'string', '', 0],
      ['Restarts', 'string', '', 0],
      ['Age', 'string', '', 0],
      ['IP', 'string', '', 1],
      ['Node', 'string', '', 1],
      ['Nominated Node', 'string', '', 1],
      ['Readiness Gates', 'string', '', 1],
    ]);
  });

  const cases: { title: string; pod: KubeObject; cells: unknown[] }[] = [
    {
      title: 'a pending pod not yet scheduled',
      pod: obj('Pod', 'pending', { spec: { containers: [appContainer] }, status: { phase: 'Pending' } }),
      cells: ['pending', '0/1', 'Pending', '0', '60m', '<none>', '<none>', '<none>', '<none>'],
    },
    {
      title: 'a pod whose container is being created',
      pod: obj('Pod', 'creating', {
        spec: { containers: [appContainer], nodeName: 'worker-1' },
        status: {
          phase: 'Pending',
          containerStatuses: [{ name: 'app', image: 'nginx:1.27', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }],
        },
      }),
      cells: ['creating', '0/1', 'ContainerCreating', '0', '60m', '<none>', 'worker-1', '<none>', '<none>'],
    },
    {
      title: 'a running pod with two ready containers',
      pod: obj('Pod', 'running', {
        spec: { containers: [appContainer, { name: 'sidecar', image: 'busybox' }], nodeName: 'worker-1' },
        status: {
          phase: 'Running',
          podIP: '10.244.1.4',
          podIPs: [{ ip: '10.244.1.4' }],
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: [
            { name: 'app', image: 'nginx:1.27', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: CREATED } } },
            { name: 'sidecar', image: 'busybox', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: CREATED } } },
          ],
        },
      }),
      cells: ['running', '2/2', 'Running', '0', '60m', '10.244.1.4', 'worker-1', '<none>', '<none>'],
    },
    {
      title: 'a CrashLoopBackOff pod shows restarts with the last restart age',
      pod: obj('Pod', 'crashy', {
        spec: { containers: [appContainer], nodeName: 'worker-2' },
        status: {
          phase: 'Running',
          podIP: '10.244.2.9',
          containerStatuses: [
            {
              name: 'app',
              image: 'nginx:1.27',
              imageID: '',
              ready: false,
              restartCount: 5,
              state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container' } },
              lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: '2024-05-10T11:57:58Z', finishedAt: '2024-05-10T11:58:00Z' } },
            },
          ],
        },
      }),
      cells: ['crashy', '0/1', 'CrashLoopBackOff', '5 (2m ago)', '60m', '10.244.2.9', 'worker-2', '<none>', '<none>'],
    },
    {
      title: 'an image that cannot be pulled',
      pod: obj('Pod', 'badimage', {
        spec: { containers: [appContainer] },
        status: {
          phase: 'Pending',
          containerStatuses: [{ name: 'app', image: 'nginx:nope', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull' } } }],
        },
      }),
      cells: ['badimage', '0/1', 'ErrImagePull', '0', '60m', '<none>', '<none>', '<none>', '<none>'],
    },
    {
      title: 'a terminating pod',
      pod: obj(
        'Pod',
        'leaving',
        {
          spec: { containers: [appContainer], nodeName: 'worker-1' },
          status: {
            phase: 'Running',
            podIP: '10.244.1.7',
            containerStatuses: [{ name: 'app', image: 'nginx:1.27', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: CREATED } } }],
          },
        },
        { deletionTimestamp: '2024-05-10T11:59:30Z', deletionGracePeriodSeconds: 30 },
      ),
      cells: ['leaving', '1/1', 'Terminating', '0', '60m', '10.244.1.7', 'worker-1', '<none>', '<none>'],
    },
    {
      title: 'a deleted pod on a lost node is Unknown',
      pod: obj(
        'Pod',
        'lost',
        { spec: { containers: [appContainer], nodeName: 'worker-3' }, status: { phase: 'Running', reason: 'NodeLost' } },
        { deletionTimestamp: '2024-05-10T11:59:30Z' },
      ),
      cells: ['lost', '0/1', 'Unknown', '0', '60m', '<none>', 'worker-3', '<none>', '<none>'],
    },
    {
      title: 'a succeeded pod is Completed',
      pod: obj('Pod', 'done', {
        spec: { containers: [appContainer], nodeName: 'worker-1' },
        status: {
          phase: 'Succeeded',
          containerStatuses: [
            { name: 'app', image: 'nginx:1.27', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: '2024-05-10T11:10:00Z' } } },
          ],
        },
      }),
      cells: ['done', '0/1', 'Completed', '0', '60m', '<none>', 'worker-1', '<none>', '<none>'],
    },
    {
      title: 'a completed container beside a running one is NotReady without the Ready condition',
      pod: obj('Pod', 'half', {
        spec: { containers: [appContainer, { name: 'job', image: 'busybox' }] },
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'False' }],
          containerStatuses: [
            { name: 'app', image: 'nginx:1.27', imageID: '', ready: true, restartCount: 0, state: { running: {} } },
            { name: 'job', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          ],
        },
      }),
      cells: ['half', '1/2', 'NotReady', '0', '60m', '<none>', '<none>', '<none>', '<none>'],
    },
    {
      title: 'a container that exited without a reason shows its exit code',
      pod: obj('Pod', 'exited', {
        spec: { containers: [appContainer] },
        status: {
          phase: 'Running',
          containerStatuses: [{ name: 'app', image: 'nginx:1.27', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137 } } }],
        },
      }),
      cells: ['exited', '0/1', 'ExitCode:137', '0', '60m', '<none>', '<none>', '<none>', '<none>'],
    },
    {
      title: 'an init container still running shows Init:1/2',
      pod: obj('Pod', 'initing', {
        spec: {
          initContainers: [
            { name: 'migrate', image: 'migrate' },
            { name: 'wait-db', image: 'busybox' },
          ],
          containers: [appContainer],
        },
        status: {
          phase: 'Pending',
          conditions: [{ type: 'Initialized', status: 'False' }],
          initContainerStatuses: [
            { name: 'migrate', image: 'migrate', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
            { name: 'wait-db', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { running: {} } },
          ],
          containerStatuses: [{ name: 'app', image: 'nginx:1.27', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
        },
      }),
      cells: ['initing', '0/1', 'Init:1/2', '0', '60m', '<none>', '<none>', '<none>', '<none>'],
    },
    {
      title: 'the first init container waiting on PodInitializing shows Init:0/1',
      pod: obj('Pod', 'init-start', {
        spec: { initContainers: [{ name: 'migrate', image: 'migrate' }], containers: [appContainer] },
        status: {
          phase: 'Pending',
          initContainerStatuses: [{ name: 'migrate', image: 'migrate', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
        },
      }),
      cells: ['init-start', '0/1', 'Init:0/1', '0', '60m', '<none>', '<none>', '<none>', '<none>'],
    },
    {
      title: 'a crashing init container shows Init:CrashLoopBackOff and its restarts',
      pod: obj('Pod', 'init-crash', {
        spec: { initContainers: [{ name: 'migrate', image: 'migrate' }], containers: [appContainer] },
        status: {
          phase: 'Pending',
          initContainerStatuses: [
            {
              name: 'migrate',
              image: 'migrate',
              imageID: '',
              ready: false,
              restartCount: 3,
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: { terminated: { exitCode: 2, reason: 'Error', finishedAt: '2024-05-10T11:59:15Z' } },
            },
          ],
        },
      }),
      cells: ['init-crash', '0/1', 'Init:CrashLoopBackOff', '3 (45s ago)', '60m', '<none>', '<none>', '<none>', '<none>'],
    },
    {
      title: 'a failed init container shows Init:Error',
      pod: obj('Pod', 'init-failed', {
        spec: { initContainers: [{ name: 'migrate', image: 'migrate' }], containers: [appContainer] },
        status: {
          phase: 'Failed',
          initContainerStatuses: [
            { name: 'migrate', image: 'migrate', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } },
          ],
        },
      }),
      cells: ['init-failed', '0/1', 'Init:Error', '0', '60m', '<none>', '<none>', '<none>', '<none>'],
    },
    {
      title: 'a started sidecar init container counts towards READY',
      pod: obj('Pod', 'with-sidecar', {
        spec: {
          initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }],
          containers: [appContainer],
          readinessGates: [{ conditionType: 'example.com/lb-ready' }],
        },
        status: {
          phase: 'Running',
          conditions: [
            { type: 'Initialized', status: 'True' },
            { type: 'Ready', status: 'True' },
            { type: 'example.com/lb-ready', status: 'True' },
          ],
          initContainerStatuses: [
            {
              name: 'proxy',
              image: 'envoy',
              imageID: '',
              ready: true,
              started: true,
              restartCount: 1,
              state: { running: {} },
              lastState: { terminated: { exitCode: 1, finishedAt: '2024-05-10T11:30:00Z' } },
            },
          ],
          containerStatuses: [{ name: 'app', image: 'nginx:1.27', imageID: '', ready: true, restartCount: 0, state: { running: {} } }],
        },
      }),
      cells: ['with-sidecar', '2/2', 'Running', '1 (30m ago)', '60m', '<none>', '<none>', '<none>', '1/1'],
    },
    {
      title: 'a pod held by a scheduling gate',
      pod: obj('Pod', 'gated', {
        spec: { containers: [appContainer], schedulingGates: [{ name: 'example.com/quota' }] },
        status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] },
      }),
      cells: ['gated', '0/1', 'SchedulingGated', '0', '60m', '<none>', '<none>', '<none>', '<none>'],
    },
  ];

  it.each(cases)('$title', ({ pod, cells }) => {
    expect(cellsOf(PODS, pod)).toEqual(cells);
  });

  it('marks finished pods with a Completed row condition', () => {
    const [done] = cases.filter((c) => c.pod.metadata.name === 'done');
    const [running] = cases.filter((c) => c.pod.metadata.name === 'running');
    const table = toTable(PODS, [done.pod, running.pod], { now });
    expect(table.rows[0].conditions).toEqual([
      { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
    ]);
    expect(table.rows[1].conditions).toBeUndefined();
  });
});

describe('nodes', () => {
  const NODES = info('', 'v1', 'nodes');
  const nodeInfo = {
    kubeletVersion: 'v1.30.0-kubelab',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    kernelVersion: '6.5.0-35-generic',
    containerRuntimeVersion: 'docker://26.1.3',
  };

  it('has the node columns', () => {
    expect(columnShape(NODES).map(([name, , , priority]) => [name, priority])).toEqual([
      ['Name', 0],
      ['Status', 0],
      ['Roles', 0],
      ['Age', 0],
      ['Version', 0],
      ['Internal-IP', 1],
      ['External-IP', 1],
      ['OS-Image', 1],
      ['Kernel-Version', 1],
      ['Container-Runtime', 1],
    ]);
  });

  it.each([
    {
      title: 'a ready worker with a kubernetes.io/role label',
      node: obj(
        'Node',
        'worker-1',
        {
          spec: {},
          status: {
            conditions: [{ type: 'Ready', status: 'True' }],
            addresses: [
              { type: 'Hostname', address: 'worker-1' },
              { type: 'InternalIP', address: '172.18.0.3' },
              { type: 'ExternalIP', address: '192.168.1.20' },
            ],
            nodeInfo,
          },
        },
        { namespace: undefined, labels: { 'kubernetes.io/role': 'worker' } },
      ),
      cells: ['worker-1', 'Ready', 'worker', '60m', 'v1.30.0-kubelab', '172.18.0.3', '192.168.1.20', 'Debian GNU/Linux 12 (bookworm)', '6.5.0-35-generic', 'docker://26.1.3'],
    },
    {
      title: 'a NotReady, cordoned control-plane node',
      node: obj(
        'Node',
        'cp-1',
        {
          spec: { unschedulable: true },
          status: {
            conditions: [
              { type: 'MemoryPressure', status: 'False' },
              { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' },
            ],
            addresses: [{ type: 'InternalIP', address: '172.18.0.2' }],
            nodeInfo,
          },
        },
        {
          namespace: undefined,
          labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/etcd': '', 'kubernetes.io/hostname': 'cp-1' },
        },
      ),
      cells: ['cp-1', 'NotReady,SchedulingDisabled', 'control-plane,etcd', '60m', 'v1.30.0-kubelab', '172.18.0.2', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.5.0-35-generic', 'docker://26.1.3'],
    },
    {
      title: 'a node that never reported status',
      node: obj('Node', 'new', { spec: {} }, { namespace: undefined }),
      cells: ['new', 'Unknown', '<none>', '60m', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
    },
  ])('$title', ({ node, cells }) => {
    expect(cellsOf(NODES, node)).toEqual(cells);
  });
});

describe('services and endpoints', () => {
  const SERVICES = info('', 'v1', 'services');
  const ENDPOINTS = info('', 'v1', 'endpoints');

  it.each([
    {
      title: 'a NodePort service',
      service: obj('Service', 'web', {
        spec: {
          type: 'NodePort',
          clusterIP: '10.96.12.7',
          clusterIPs: ['10.96.12.7'],
          selector: { tier: 'frontend', app: 'web' },
          ports: [
            { name: 'http', port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' },
            { name: 'https', port: 443, targetPort: 8443, nodePort: 30443, protocol: 'TCP' },
          ],
        },
      }),
      cells: ['web', 'NodePort', '10.96.12.7', '<none>', '80:30080/TCP,443:30443/TCP', '60m', 'app=web,tier=frontend'],
    },
    {
      title: 'a headless ClusterIP service without a selector',
      service: obj('Service', 'db', {
        spec: { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 5432, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] },
      }),
      cells: ['db', 'ClusterIP', 'None', '<none>', '5432/TCP,53/UDP', '60m', '<none>'],
    },
    {
      title: 'a LoadBalancer waiting for an address',
      service: obj('Service', 'lb', {
        spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.50'], ports: [{ port: 80, nodePort: 31000, protocol: 'TCP' }], selector: { app: 'lb' } },
        status: { loadBalancer: {} },
      }),
      cells: ['lb', 'LoadBalancer', '10.96.0.50', '<pending>', '80:31000/TCP', '60m', 'app=lb'],
    },
    {
      title: 'a LoadBalancer with ingress addresses and external IPs',
      service: obj('Service', 'lb2', {
        spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.51'], externalIPs: ['192.168.1.99'], ports: [{ port: 80, nodePort: 31001, protocol: 'TCP' }] },
        status: { loadBalancer: { ingress: [{ ip: '172.18.0.200' }, { hostname: 'lb.example.com' }] } },
      }),
      cells: ['lb2', 'LoadBalancer', '10.96.0.51', '172.18.0.200,lb.example.com,192.168.1.99', '80:31001/TCP', '60m', '<none>'],
    },
    {
      title: 'an ExternalName service',
      service: obj('Service', 'ext', { spec: { type: 'ExternalName', externalName: 'db.example.com' } }),
      cells: ['ext', 'ExternalName', '<none>', 'db.example.com', '<none>', '60m', '<none>'],
    },
  ])('$title', ({ service, cells }) => {
    expect(cellsOf(SERVICES, service)).toEqual(cells);
  });

  it.each([
    {
      title: 'more than three addresses are summarised',
      subsets: [
        { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80, protocol: 'TCP' }] },
        { addresses: [{ ip: '10.0.0.3' }, { ip: '10.0.0.4' }], ports: [{ port: 80, protocol: 'TCP' }] },
      ],
      text: '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...',
    },
    {
      title: 'every port of every address counts',
      subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }, { port: 443 }] }],
      text: '10.0.0.1:80,10.0.0.1:443',
    },
    {
      title: 'headless endpoints without ports list bare IPs, IPv6 in brackets only with a port',
      subsets: [{ addresses: [{ ip: 'fd00::1' }] }, { addresses: [{ ip: 'fd00::2' }], ports: [{ port: 8080 }] }],
      text: 'fd00::1,[fd00::2]:8080',
    },
    { title: 'no subsets', subsets: undefined, text: '<none>' },
    { title: 'subsets with only not-ready addresses', subsets: [{ notReadyAddresses: [{ ip: '10.0.0.9' }], ports: [{ port: 80 }] }], text: '' },
  ])('$title', ({ subsets, text }) => {
    expect(cellsOf(ENDPOINTS, obj('Endpoints', 'web', { subsets }))).toEqual(['web', text, '60m']);
  });
});

describe('workloads', () => {
  const template = {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }, { name: 'log', image: 'busybox:1.36' }] },
  };

  it('prints a deployment mid-rollout', () => {
    const deployment = obj('Deployment', 'web', {
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template },
      status: { replicas: 4, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 2 },
    });
    const deployments = info('apps', 'v1', 'deployments');
    expect(cellsOf(deployments, deployment)).toEqual(['web', '2/3', 1, 2, '60m', 'nginx,log', 'nginx:1.27,busybox:1.36', 'app=web']);
    expect(columnShape(deployments)).toEqual([
      ['Name', 'string', 'name', 0],
      ['Ready', 'string', '', 0],
      ['Up-to-date', 'string', '', 0],
      ['Available', 'string', '', 0],
      ['Age', 'string', '', 0],
      ['Containers', 'string', '', 1],
      ['Images', 'string', '', 1],
      ['Selector', 'string', '', 1],
    ]);
  });

  it('prints a new deployment with no status yet', () => {
    const deployment = obj('Deployment', 'fresh', { spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template } });
    expect(cellsOf(info('apps', 'v1', 'deployments'), deployment).slice(0, 4)).toEqual(['fresh', '0/2', 0, 0]);
  });

  it('prints a replica set with set-based selectors sorted by key', () => {
    const replicaSet = obj('ReplicaSet', 'web-5d4f8', {
      spec: {
        replicas: 3,
        selector: {
          matchLabels: { app: 'web', 'pod-template-hash': '5d4f8' },
          matchExpressions: [
            { key: 'tier', operator: 'In', values: ['frontend', 'backend'] },
            { key: 'canary', operator: 'DoesNotExist' },
          ],
        },
        template,
      },
      status: { replicas: 3, readyReplicas: 1 },
    });
    expect(cellsOf(info('apps', 'v1', 'replicasets'), replicaSet)).toEqual([
      'web-5d4f8',
      3,
      3,
      1,
      '60m',
      'nginx,log',
      'nginx:1.27,busybox:1.36',
      'app=web,!canary,pod-template-hash=5d4f8,tier in (backend,frontend)',
    ]);
    expect(columnShape(info('apps', 'v1', 'replicasets')).slice(1, 4).map(([name, type]) => [name, type])).toEqual([
      ['Desired', 'integer'],
      ['Current', 'integer'],
      ['Ready', 'integer'],
    ]);
  });

  it('prints a daemon set with its node selector', () => {
    const daemonSet = obj('DaemonSet', 'agent', {
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'agent', image: 'agent:1' }] } },
      },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
    });
    expect(cellsOf(info('apps', 'v1', 'daemonsets'), daemonSet)).toEqual([
      'agent', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '60m', 'agent', 'agent:1', 'app=agent',
    ]);
  });

  const JOBS = info('batch', 'v1', 'jobs');
  const jobSpec = { template: { spec: { containers: [{ name: 'pi', image: 'perl:5.34' }] } }, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'abc' } } };

  it.each([
    {
      title: 'a complete job shows how long it took',
      job: obj('Job', 'pi', {
        spec: { ...jobSpec, completions: 1, parallelism: 1 },
        status: {
          succeeded: 1,
          startTime: '2024-05-10T11:00:00Z',
          completionTime: '2024-05-10T11:00:45Z',
          conditions: [{ type: 'Complete', status: 'True' }],
        },
      }),
      cells: ['pi', 'Complete', '1/1', '45s', '60m'],
    },
    {
      title: 'a running job without completions shows the parallelism',
      job: obj('Job', 'work', {
        spec: { ...jobSpec, parallelism: 3 },
        status: { active: 3, startTime: '2024-05-10T11:56:48Z' },
      }),
      cells: ['work', 'Running', '0/1 of 3', '3m12s', '60m'],
    },
    {
      title: 'a failed job',
      job: obj('Job', 'broken', {
        spec: { ...jobSpec, completions: 2 },
        status: {
          failed: 7,
          startTime: '2024-05-10T11:00:00Z',
          conditions: [
            { type: 'FailureTarget', status: 'True' },
            { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' },
          ],
        },
      }),
      cells: ['broken', 'Failed', '0/2', '60m', '60m'],
    },
    {
      title: 'a suspended job that never started',
      job: obj('Job', 'later', { spec: { ...jobSpec, suspend: true, completions: 1 }, status: { conditions: [{ type: 'Suspended', status: 'True' }] } }),
      cells: ['later', 'Suspended', '0/1', '', '60m'],
    },
    {
      title: 'a job being deleted',
      job: obj('Job', 'bye', { spec: { ...jobSpec, completions: 1 }, status: { active: 1 } }, { deletionTimestamp: '2024-05-10T11:59:00Z' }),
      cells: ['bye', 'Terminating', '0/1', '', '60m'],
    },
  ])('$title', ({ job, cells }) => {
    expect(cellsOf(JOBS, job)).toEqual([...cells, 'pi', 'perl:5.34', 'batch.kubernetes.io/controller-uid=abc']);
  });

  it('prints a cron job', () => {
    const cronJob = obj('CronJob', 'backup', {
      spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: jobSpec } },
      status: { active: [{ name: 'backup-28590000' }], lastScheduleTime: '2024-05-10T11:57:00Z' },
    });
    const cronJobs = info('batch', 'v1', 'cronjobs');
    expect(cellsOf(cronJobs, cronJob)).toEqual([
      'backup', '*/5 * * * *', '<none>', 'False', 1, '3m', '60m', 'pi', 'perl:5.34', 'batch.kubernetes.io/controller-uid=abc',
    ]);
    const never = obj('CronJob', 'nightly', { spec: { schedule: '0 3 * * *', timeZone: 'Europe/Paris', jobTemplate: { spec: jobSpec } } });
    expect(cellsOf(cronJobs, never).slice(0, 7)).toEqual(['nightly', '0 3 * * *', 'Europe/Paris', '<unset>', 0, '<none>', '60m']);
    expect(columnShape(cronJobs).map(([name]) => name).slice(0, 7)).toEqual([
      'Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age',
    ]);
  });

  it('prints horizontal pod autoscalers', () => {
    const hpas = info('autoscaling', 'v2', 'horizontalpodautoscalers');
    const cpu = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } };
    const memory = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '256Mi' } } };
    const pods = { type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '100' } } };
    const scaling = obj('HorizontalPodAutoscaler', 'web', {
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 10, metrics: [cpu] },
      status: { currentReplicas: 3, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 42 } } }] },
    });
    expect(cellsOf(hpas, scaling)).toEqual(['web', 'Deployment/web', 'cpu: 42%/80%', '2', 10, 3, '60m']);

    const fresh = obj('HorizontalPodAutoscaler', 'api', {
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'api' }, maxReplicas: 5, metrics: [cpu, memory, pods] },
    });
    expect(cellsOf(hpas, fresh)).toEqual(['api', 'Deployment/api', 'cpu: <unknown>/80%, memory: <unknown>/256Mi + 1 more...', '<unset>', 5, 0, '60m']);
  });

  it('prints controller revisions with their owner', () => {
    const revision = obj('ControllerRevision', 'agent-6c9b', {
      revision: 2,
      data: {},
    }, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'u', controller: true }] });
    expect(cellsOf(info('apps', 'v1', 'controllerrevisions'), revision)).toEqual(['agent-6c9b', 'daemonset.apps/agent', 2, '60m']);
  });
});

describe('config, storage and cluster kinds', () => {
  it.each([
    {
      title: 'namespace',
      resource: info('', 'v1', 'namespaces'),
      object: obj('Namespace', 'team-a', { status: { phase: 'Terminating' } }, { namespace: undefined }),
      cells: ['team-a', 'Terminating', '60m'],
    },
    {
      title: 'config map counts data and binaryData',
      resource: info('', 'v1', 'configmaps'),
      object: obj('ConfigMap', 'settings', { data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }),
      cells: ['settings', 3, '60m'],
    },
    {
      title: 'secret',
      resource: info('', 'v1', 'secrets'),
      object: obj('Secret', 'tls', { type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==', 'tls.key': 'eQ==' } }),
      cells: ['tls', 'kubernetes.io/tls', 2, '60m'],
    },
    {
      title: 'service account',
      resource: info('', 'v1', 'serviceaccounts'),
      object: obj('ServiceAccount', 'default', {}),
      cells: ['default', 0, '60m'],
    },
    {
      title: 'lease',
      resource: info('coordination.k8s.io', 'v1', 'leases'),
      object: obj('Lease', 'kube-controller-manager', { spec: { holderIdentity: 'kubelab_1234', leaseDurationSeconds: 15 } }),
      cells: ['kube-controller-manager', 'kubelab_1234', '60m'],
    },
    {
      title: 'default storage class',
      resource: info('storage.k8s.io', 'v1', 'storageclasses'),
      object: obj('StorageClass', 'local-path', { provisioner: 'kubelab.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' }, {
        namespace: undefined,
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      }),
      cells: ['local-path (default)', 'kubelab.io/local-path', 'Delete', 'WaitForFirstConsumer', false, '60m'],
    },
    {
      title: 'bound persistent volume',
      resource: info('', 'v1', 'persistentvolumes'),
      object: obj('PersistentVolume', 'pv-1', {
        spec: {
          capacity: { storage: '10Gi' },
          accessModes: ['ReadWriteMany', 'ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Retain',
          storageClassName: 'local-path',
          claimRef: { namespace: 'default', name: 'data' },
          volumeMode: 'Filesystem',
        },
        status: { phase: 'Bound' },
      }, { namespace: undefined }),
      cells: ['pv-1', '10Gi', 'RWO,RWX', 'Retain', 'Bound', 'default/data', 'local-path', '<unset>', '', '60m', 'Filesystem'],
    },
    {
      title: 'pending persistent volume claim hides capacity until bound',
      resource: info('', 'v1', 'persistentvolumeclaims'),
      object: obj('PersistentVolumeClaim', 'data', {
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'local-path' },
        status: { phase: 'Pending' },
      }),
      cells: ['data', 'Pending', '', '', '', 'local-path', '<unset>', '60m', '<unset>'],
    },
    {
      title: 'bound persistent volume claim',
      resource: info('', 'v1', 'persistentvolumeclaims'),
      object: obj('PersistentVolumeClaim', 'data', {
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'local-path', volumeName: 'pv-1', volumeMode: 'Filesystem' },
        status: { phase: 'Bound', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'] },
      }),
      cells: ['data', 'Bound', 'pv-1', '10Gi', 'RWO', 'local-path', '<unset>', '60m', 'Filesystem'],
    },
  ])('$title', ({ resource, object, cells }) => {
    expect(cellsOf(resource, object)).toEqual(cells);
  });

  it('prints events with LAST SEEN first and the wide columns after MESSAGE', () => {
    const EVENTS = info('', 'v1', 'events');
    const event = obj('Event', 'web-1.17c9a', {
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', fieldPath: 'spec.containers{app}' },
      reason: 'BackOff',
      message: 'Back-off restarting failed container app\n',
      type: 'Warning',
      count: 12,
      firstTimestamp: '2024-05-10T11:30:00Z',
      lastTimestamp: '2024-05-10T11:59:15Z',
      source: { component: 'kubelet', host: 'worker-1' },
    });
    expect(cellsOf(EVENTS, event)).toEqual([
      '45s', 'Warning', 'BackOff', 'pod/web-1', 'spec.containers{app}', 'kubelet, worker-1',
      'Back-off restarting failed container app', '30m', 12, 'web-1.17c9a',
    ]);
    const singleton = obj('Event', 'node.1', {
      involvedObject: { kind: 'Node', name: 'worker-1' },
      reason: 'Starting',
      message: 'Starting kubelet.',
      type: 'Normal',
      eventTime: '2024-05-10T11:50:00.000000Z',
      reportingComponent: 'kubelet',
      reportingInstance: 'worker-1',
    });
    expect(cellsOf(EVENTS, singleton)).toEqual([
      '10m', 'Normal', 'Starting', 'node/worker-1', '', 'kubelet, worker-1', 'Starting kubelet.', '10m', 1, 'node.1',
    ]);
    expect(columnShape(EVENTS).map(([name, , format, priority]) => [name, format, priority])).toEqual([
      ['Last Seen', '', 0],
      ['Type', '', 0],
      ['Reason', '', 0],
      ['Object', '', 0],
      ['Subobject', '', 1],
      ['Source', '', 1],
      ['Message', '', 0],
      ['First Seen', '', 1],
      ['Count', '', 1],
      ['Name', 'name', 1],
    ]);
  });
});

describe('toTable', () => {
  const pod = obj('Pod', 'web-1', { spec: { containers: [appContainer] }, status: { phase: 'Pending' } }, { labels: { app: 'web' }, resourceVersion: '42' });

  it('returns a meta.k8s.io/v1 Table with PartialObjectMetadata rows by default', () => {
    const table = toTable(PODS, [pod], { now, listMeta: { resourceVersion: '100', continue: 'tok', remainingItemCount: 3 } });
    expect(table.kind).toBe('Table');
    expect(table.apiVersion).toBe('meta.k8s.io/v1');
    expect(table.metadata).toEqual({ resourceVersion: '100', continue: 'tok', remainingItemCount: 3 });
    expect(table.rows[0].object).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata });
  });

  it('embeds the whole object with includeObject=Object and nothing with None', () => {
    expect(toTable(PODS, [pod], { now, includeObject: 'Object' }).rows[0].object).toBe(pod);
    const bare = toTable(PODS, [pod], { now, includeObject: 'None' }).rows[0];
    expect('object' in bare).toBe(false);
    expect(JSON.parse(JSON.stringify(bare))).toEqual({ cells: ['web-1', '0/1', 'Pending', '0', '60m', '<none>', '<none>', '<none>', '<none>'] });
  });

  it('leaves out column definitions for watch events after the first', () => {
    const table = toTable(PODS, [pod], { now, includeColumnDefinitions: false });
    expect(table.columnDefinitions).toEqual([]);
    expect(table.rows).toHaveLength(1);
  });

  it('omits list metadata fields that are not set', () => {
    expect(toTable(PODS, [], { now }).metadata).toEqual({});
  });

  it('gives every row one cell per column definition, for every kind', () => {
    const table = toTable(PODS, [pod], { now });
    expect(table.rows[0].cells).toHaveLength(table.columnDefinitions.length);
  });

  it('prints kinds without a printer as NAME and AGE', () => {
    const widgets: ResourceInfo = {
      group: 'example.com', version: 'v1', kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget',
      namespaced: true, shortNames: [], subresources: [], categories: [],
    };
    const table = toTable(widgets, [obj('Widget', 'w1', {}), obj('Widget', 'w2', {}, { creationTimestamp: undefined })], { now });
    expect(table.columnDefinitions.map((c) => [c.name, c.type, c.format, c.priority])).toEqual([
      ['Name', 'string', 'name', 0],
      ['Age', 'date', '', 0],
    ]);
    expect(table.rows.map((r) => r.cells)).toEqual([['w1', '60m'], ['w2', '<unknown>']]);
  });
});

describe('acceptsTable', () => {
  it.each([
    ['application/json;as=Table;v=v1;g=meta.k8s.io,application/json', true],
    ['application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json', true],
    ['application/json; as=Table; g=meta.k8s.io; v=v1', true],
    ['application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json', false],
    ['application/json', false],
    ['application/json,application/json;as=Table;v=v1;g=meta.k8s.io', false],
    ['application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', false],
    ['', false],
    [undefined, false],
  ])('%s -> %s', (accept, expected) => {
    expect(acceptsTable(accept)).toBe(expected);
  });

  it('reads includeObject with Metadata as the default', () => {
    expect(includeObjectFromQuery(undefined)).toBe('Metadata');
    expect(includeObjectFromQuery('Object')).toBe('Object');
    expect(includeObjectFromQuery('None')).toBe('None');
  });
});
