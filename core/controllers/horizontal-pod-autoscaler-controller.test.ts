import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeletServer, type RunningKubeletServer } from '../agent/kubelet-server.ts';
import type { PodMetrics } from '../agent/node-agent.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import { EventRecorder } from '../client/event-recorder.ts';
import { InformerFactory } from '../client/informer-factory.ts';
import type { RestClient } from '../client/rest-client.ts';
import { LAB_CONTROLLER_SETTINGS } from './controller-settings.ts';
import { horizontalPodAutoscalerController } from './horizontal-pod-autoscaler-controller.ts';
import { silent, startTestCluster, TOKEN, type TestCluster } from './workload-test-support.ts';
import { eventually } from '../../test/support/eventually.ts';

// The HPA against an in-process API server whose metrics.k8s.io asks a kubelet server
// serving usage the test sets. No ReplicaSet controller runs: the test makes the target's
// pods itself and watches the Deployment's replicas, which the HPA changes through /scale.

const NODE = 'hpa-node';
const PODS = findByKind('v1', 'Pod') as ResourceInfo;
const NODES = findByKind('v1', 'Node') as ResourceInfo;
const DEPLOYMENTS = findByKind('apps/v1', 'Deployment') as ResourceInfo;
const HPAS = findByKind('autoscaling/v2', 'HorizontalPodAutoscaler') as ResourceInfo;
const EVENTS = findByKind('v1', 'Event') as ResourceInfo;
const NAMESPACES = findByKind('v1', 'Namespace') as ResourceInfo;

type Hpa = HorizontalPodAutoscaler & KubeObject;

let cluster: TestCluster;
let kubelet: RunningKubeletServer;
let client: RestClient;
let informers: InformerFactory;
let controllerDone: Promise<void>;
const abort = new AbortController();
/** CPU usage in millicores per pod uid; pods not listed have no samples. */
const cpuUsage = new Map<string, { namespace: string; name: string; millicores: number }>();
let namespaceCounter = 0;
/** Delay added to every HPA watch event the controller's informer gets: its cache then lags the API. */
let hpaWatchLagMs = 0;

/** The client the controller's informers use: the real one, with HPA watch events held back by hpaWatchLagMs. */
function laggingWatches(real: RestClient): RestClient {
  return new Proxy(real, {
    get(target, property) {
      if (property === 'watch') {
        return ((info, options, onEvent, signal) =>
          target.watch(
            info,
            options,
            async (event) => {
              if (info === HPAS && hpaWatchLagMs) await new Promise((resolve) => setTimeout(resolve, hpaWatchLagMs));
              await onEvent(event as never);
            },
            signal,
          )) as RestClient['watch'];
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

beforeAll(async () => {
  cluster = await startTestCluster();
  client = cluster.client;
  kubelet = await startKubeletServer({
    token: TOKEN,
    runtimeFor: () => undefined,
    logger: silent,
    podMetricsFor: () =>
      [...cpuUsage].map(([uid, pod]): PodMetrics => ({
        uid,
        namespace: pod.namespace,
        name: pod.name,
        timestamp: new Date().toISOString(),
        containers: [{ name: 'app', cpuNanoCores: pod.millicores * 1_000_000, memoryWorkingSetBytes: 10 * 1024 * 1024 }],
      })),
  });
  const node = await client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } });
  await client.updateStatus(NODES, { ...node, status: { daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } } });

  informers = new InformerFactory(laggingWatches(client));
  controllerDone = horizontalPodAutoscalerController().run({
    client,
    informers,
    recorder: new EventRecorder(client, { component: 'horizontal-pod-autoscaler' }),
    settings: { ...LAB_CONTROLLER_SETTINGS, horizontalPodAutoscalerSyncPeriodSeconds: 0.1, horizontalPodAutoscalerDownscaleStabilizationSeconds: 1.5 },
    logger: silent,
    signal: abort.signal,
    reportAction: () => {},
  });
  informers.start();
});

afterAll(async () => {
  abort.abort();
  await controllerDone;
  informers?.stop();
  await kubelet?.close();
  await cluster?.close();
});

async function newNamespace(): Promise<string> {
  const name = `hpa${++namespaceCounter}`;
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

async function createTarget(namespace: string, replicas: number): Promise<void> {
  await client.create(DEPLOYMENTS, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
    },
  });
}

/** A running, ready pod of the target requesting 100m CPU and using `millicores`. */
async function runPod(namespace: string, name: string, millicores: number | undefined): Promise<void> {
  const pod = await client.create<KubeObject>(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'web' } },
    spec: { nodeName: NODE, containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '100m' } } }] },
  });
  await client.updateStatus(PODS, { ...pod, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
  if (millicores !== undefined) cpuUsage.set(pod.metadata.uid!, { namespace, name, millicores });
}

function setUsage(namespace: string, millicores: number): void {
  for (const pod of cpuUsage.values()) if (pod.namespace === namespace) pod.millicores = millicores;
}

async function createHpa(namespace: string, maxReplicas = 10): Promise<void> {
  await client.create(HPAS, {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    },
  } as KubeObject);
}

const replicasOf = async (namespace: string) => ((await client.get(DEPLOYMENTS, namespace, 'web')).spec as { replicas: number }).replicas;
const hpaOf = (namespace: string) => client.get<Hpa>(HPAS, namespace, 'web');
const condition = (hpa: Hpa, type: string) => hpa.status?.conditions?.find((c) => c.type === type);

describe('HorizontalPodAutoscaler', { timeout: 20_000 }, () => {
  it('scales up above the target and records why', async () => {
    const ns = await newNamespace();
    await createTarget(ns, 2);
    await runPod(ns, 'web-1', 100);
    await runPod(ns, 'web-2', 100);
    await createHpa(ns);

    // 100% of request against a 50% target: twice the pods. The same 2 pods keep wanting 4, so it stays there.
    await eventually(async () => (await replicasOf(ns)) === 4, 'the Deployment to be scaled to 4', 15_000);
    const rescale = await eventually(async () => {
      const { items } = await client.list(EVENTS, { namespace: ns });
      return (items as unknown as { reason: string; message: string }[]).find((e) => e.reason === 'SuccessfulRescale');
    }, 'the SuccessfulRescale event', 15_000);
    expect(rescale.message).toBe('New size: 4; reason: cpu resource utilization (percentage of request) above target');

    const hpa = await eventually(async () => {
      const current = await hpaOf(ns);
      return current.status?.desiredReplicas === 4 && current.status.lastScaleTime ? current : undefined;
    }, 'the HPA status', 15_000);
    expect(hpa.status?.currentMetrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 100, averageValue: '100m' } } }]);
    expect(condition(hpa, 'ScalingActive')).toMatchObject({ status: 'True', reason: 'ValidMetricFound' });
    expect(condition(hpa, 'ScalingLimited')).toMatchObject({ status: 'False', reason: 'DesiredWithinRange' });
    expect(condition(hpa, 'AbleToScale')?.status).toBe('True');
    expect(await replicasOf(ns)).toBe(4);
  });

  it('scales down only after the stabilization window', async () => {
    const ns = await newNamespace();
    await createTarget(ns, 2);
    await runPod(ns, 'web-1', 200);
    await runPod(ns, 'web-2', 200);
    await createHpa(ns, 4);
    await eventually(async () => (await replicasOf(ns)) === 4, 'the scale up', 15_000);

    setUsage(ns, 5);
    // While recent recommendations were higher, the size holds.
    const held = await eventually(async () => {
      const current = await hpaOf(ns);
      return condition(current, 'AbleToScale')?.reason === 'ScaleDownStabilized' ? current : undefined;
    }, 'the scale down to be stabilized', 15_000);
    expect(held.status?.currentMetrics?.[0].resource?.current.averageUtilization).toBe(5);
    expect(await replicasOf(ns)).toBe(4);

    await eventually(async () => (await replicasOf(ns)) === 1, 'the scale down to minReplicas', 15_000);
    await eventually(async () => {
      const { items } = await client.list(EVENTS, { namespace: ns });
      return (items as unknown as { message: string }[]).some((e) => e.message === 'New size: 1; reason: All metrics below target');
    }, 'the scale-down event', 15_000);
  });

  it('keeps lastScaleTime and the conditions while its cache lags behind its own status writes', async () => {
    hpaWatchLagMs = 400;
    try {
      const ns = await newNamespace();
      await createTarget(ns, 2);
      await runPod(ns, 'web-1', 100);
      await runPod(ns, 'web-2', 100);
      await createHpa(ns);
      // Its syncs (every 0.1 s) run on copies older than the status they last wrote. Sample
      // the status until 2 s after a write recorded the scale: no later write may lose it.
      const samples: Hpa[] = [];
      let until = Date.now() + 15_000;
      let firstRecorded = -1;
      while (Date.now() < until) {
        const sample = await hpaOf(ns);
        samples.push(sample);
        if (firstRecorded < 0 && sample.status?.lastScaleTime) {
          firstRecorded = samples.length - 1;
          until = Date.now() + 2000;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(firstRecorded, 'a status write recorded the scale').toBeGreaterThanOrEqual(0);
      const after = samples.slice(firstRecorded);
      expect(after.filter((sample) => !sample.status?.lastScaleTime).length).toBe(0);
      const settled = after.at(-1)!;
      expect(condition(settled, 'ScalingActive')?.status).toBe('True');
      expect(await replicasOf(ns)).toBe(4);
    } finally {
      hpaWatchLagMs = 0;
    }
  });

  it('keeps the size and says why when there are no metrics', async () => {
    const ns = await newNamespace();
    await createTarget(ns, 2);
    await runPod(ns, 'web-1', undefined);
    await runPod(ns, 'web-2', undefined);
    await createHpa(ns);
    const hpa = await eventually(async () => {
      const current = await hpaOf(ns);
      return condition(current, 'ScalingActive')?.status === 'False' ? current : undefined;
    }, 'ScalingActive False', 15_000);
    expect(condition(hpa, 'ScalingActive')?.reason).toBe('FailedGetResourceMetric');
    expect(condition(hpa, 'ScalingActive')?.message).toContain('did not receive metrics for targeted pods');
    expect(hpa.status?.desiredReplicas).toBe(2);
    expect(await replicasOf(ns)).toBe(2);
  });
});
