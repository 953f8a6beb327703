import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeRuntime } from '../agent/fake-runtime.ts';
import { VolumeReclaimer } from '../agent/volume-reclaimer.ts';
import { isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import { EventRecorder } from '../client/event-recorder.ts';
import { InformerFactory } from '../client/informer-factory.ts';
import type { RestClient } from '../client/rest-client.ts';
import { LAB_CONTROLLER_SETTINGS } from './controller-settings.ts';
import { persistentVolumeController, WAIT_FOR_FIRST_CONSUMER_MESSAGE } from './persistent-volume-controller.ts';
import { VOLUME_CLEANUP_FINALIZER } from './provisioned-volume.ts';
import { STORAGE_CLASSES } from './storage-class-bootstrap.ts';
import { silent, startTestCluster, type TestCluster } from './workload-test-support.ts';
import { eventually } from '../../test/support/eventually.ts';

// The PV controller against an in-process API server; the test plays the scheduler
// (pods/binding) and, for Delete, runs the node agent's VolumeReclaimer on a fake runtime.

const PODS = findByKind('v1', 'Pod') as ResourceInfo;
const NODES = findByKind('v1', 'Node') as ResourceInfo;
const CLAIMS = findByKind('v1', 'PersistentVolumeClaim') as ResourceInfo;
const VOLUMES = findByKind('v1', 'PersistentVolume') as ResourceInfo;
const EVENTS = findByKind('v1', 'Event') as ResourceInfo;
const NAMESPACES = findByKind('v1', 'Namespace') as ResourceInfo;

type Claim = PersistentVolumeClaim & KubeObject;
type Volume = PersistentVolume & KubeObject;

let cluster: TestCluster;
let client: RestClient;
let informers: InformerFactory;
const abort = new AbortController();
let controllerDone: Promise<void>;
let reclaimer: VolumeReclaimer;
const runtime = new FakeRuntime();
let namespaceCounter = 0;

beforeAll(async () => {
  cluster = await startTestCluster();
  client = cluster.client;
  for (const name of ['node-a', 'node-b']) {
    await client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
  }
  informers = new InformerFactory(client);
  controllerDone = persistentVolumeController().run({
    client,
    informers,
    recorder: new EventRecorder(client, { component: 'persistentvolume-controller' }),
    settings: LAB_CONTROLLER_SETTINGS,
    logger: silent,
    signal: abort.signal,
    reportAction: () => {},
  });
  informers.start();
  reclaimer = new VolumeReclaimer({ client, runtime, nodeName: 'node-a', retryMs: 50, logger: silent });
  await reclaimer.start();
});

afterAll(async () => {
  abort.abort();
  await controllerDone;
  informers?.stop();
  await reclaimer?.stop();
  await cluster?.close();
});

async function newNamespace(): Promise<string> {
  const name = `pv${++namespaceCounter}`;
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

function claim(namespace: string, name: string, storageClassName?: string): Claim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, ...(storageClassName ? { storageClassName } : {}) },
  };
}

async function createConsumer(namespace: string, name: string, claimName: string): Promise<void> {
  await client.create(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      containers: [{ name: 'app', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }],
    },
  });
}

async function schedule(namespace: string, pod: string, node: string): Promise<void> {
  await client.createSubresource(PODS, namespace, pod, 'binding', {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: pod, namespace },
    target: { apiVersion: 'v1', kind: 'Node', name: node },
  });
}

async function eventsOf(namespace: string, name: string): Promise<{ reason?: string; message?: string }[]> {
  const { items } = await client.list(EVENTS, { namespace });
  return (items as unknown as { involvedObject: { name: string }; reason?: string; message?: string }[]).filter((e) => e.involvedObject.name === name);
}

const getClaim = (namespace: string, name: string) => client.get<Claim>(CLAIMS, namespace, name);
const getVolume = (name: string) => client.get<Volume>(VOLUMES, undefined, name);

async function boundClaim(namespace: string, name: string): Promise<Claim> {
  return eventually(async () => {
    const current = await getClaim(namespace, name);
    return current.status?.phase === 'Bound' ? current : undefined;
  }, `claim ${namespace}/${name} to be Bound`, 10_000);
}

describe('default StorageClass', { timeout: 20_000 }, () => {
  it('creates "standard": default, Docker volumes, WaitForFirstConsumer, Delete', async () => {
    const standard = await eventually(() => client.get<StorageClass & KubeObject>(STORAGE_CLASSES, undefined, 'standard'), 'the default class', 10_000);
    expect(standard.metadata.annotations?.['storageclass.kubernetes.io/is-default-class']).toBe('true');
    expect(standard.provisioner).toBe('kubelab.io/docker-volume');
    expect(standard.volumeBindingMode).toBe('WaitForFirstConsumer');
    expect(standard.reclaimPolicy).toBe('Delete');
  });

  it('provisions a claim without storageClassName from the default class', async () => {
    const ns = await newNamespace();
    const created = await client.create(CLAIMS, claim(ns, 'data'));
    await createConsumer(ns, 'app', 'data');
    await schedule(ns, 'app', 'node-a');
    await boundClaim(ns, 'data');
    expect((await getVolume(`pvc-${created.metadata.uid}`)).spec?.storageClassName).toBe('standard');
  });
});

describe('dynamic provisioning with WaitForFirstConsumer', { timeout: 20_000 }, () => {
  it('keeps the claim Pending until a pod using it has a node, then provisions a PV pinned to that node and binds both', async () => {
    const ns = await newNamespace();
    const created = await client.create(CLAIMS, claim(ns, 'data', 'standard'));
    await eventually(async () => (await eventsOf(ns, 'data')).find((e) => e.reason === 'WaitForFirstConsumer'), 'the WaitForFirstConsumer event', 10_000);
    expect((await eventsOf(ns, 'data')).find((e) => e.reason === 'WaitForFirstConsumer')?.message).toBe(WAIT_FOR_FIRST_CONSUMER_MESSAGE);

    // A consumer that is not placed yet changes nothing.
    await createConsumer(ns, 'app', 'data');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await getClaim(ns, 'data')).status?.phase).toBe('Pending');
    const pvName = `pvc-${created.metadata.uid}`;
    await expect(getVolume(pvName)).rejects.toSatisfy(isNotFound);

    await schedule(ns, 'app', 'node-b');
    const bound = await boundClaim(ns, 'data');
    expect(bound.spec?.volumeName).toBe(pvName);
    expect(bound.status?.capacity).toEqual({ storage: '2Gi' });
    expect(bound.status?.accessModes).toEqual(['ReadWriteOnce']);
    expect(bound.metadata.annotations?.['pv.kubernetes.io/bind-completed']).toBe('yes');

    const pv = await eventually(async () => {
      const current = await getVolume(pvName);
      return current.status?.phase === 'Bound' ? current : undefined;
    }, 'the PV to be Bound', 10_000);
    expect(pv.spec?.capacity).toEqual({ storage: '2Gi' });
    expect(pv.spec?.accessModes).toEqual(['ReadWriteOnce']);
    expect(pv.spec?.storageClassName).toBe('standard');
    expect(pv.spec?.persistentVolumeReclaimPolicy).toBe('Delete');
    expect(pv.spec?.claimRef).toMatchObject({ kind: 'PersistentVolumeClaim', namespace: ns, name: 'data', uid: created.metadata.uid });
    expect(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-b'] }] },
    ]);
    // The name the node agent mounts a bound claim under (volume-manager.ts claimVolumeName).
    expect(pv.metadata.annotations?.['kubelab.io/docker-volume']).toBe(`kubelab-pv-${pvName}`);
    expect(pv.metadata.finalizers).toContain(VOLUME_CLEANUP_FINALIZER);
    expect((await eventsOf(ns, 'data')).map((e) => e.reason)).toContain('ProvisioningSucceeded');
  });
});

describe('reclaiming when the claim is deleted', { timeout: 20_000 }, () => {
  it('Delete: the PV is deleted once the node agent removed its Docker volume', async () => {
    const ns = await newNamespace();
    const created = await client.create(CLAIMS, claim(ns, 'scratch', 'standard'));
    await createConsumer(ns, 'app', 'scratch');
    await schedule(ns, 'app', 'node-a');
    await boundClaim(ns, 'scratch');
    const pvName = `pvc-${created.metadata.uid}`;
    // What the node agent made when it started the pod.
    await runtime.createVolume(`kubelab-pv-${pvName}`, {});

    await client.delete(PODS, ns, 'app', { gracePeriodSeconds: 0 });
    await client.delete(CLAIMS, ns, 'scratch');
    await eventually(async () => {
      try {
        await getVolume(pvName);
        return false;
      } catch (error) {
        return isNotFound(error);
      }
    }, 'the PV to be deleted', 10_000);
    expect(runtime.volumes.has(`kubelab-pv-${pvName}`)).toBe(false);
  });

  it('Retain: the PV stays Released with its data', async () => {
    await client.create(STORAGE_CLASSES, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'keep' },
      provisioner: 'kubelab.io/docker-volume',
      reclaimPolicy: 'Retain',
      volumeBindingMode: 'WaitForFirstConsumer',
    } as KubeObject);
    const ns = await newNamespace();
    const created = await client.create(CLAIMS, claim(ns, 'precious', 'keep'));
    await createConsumer(ns, 'app', 'precious');
    await schedule(ns, 'app', 'node-a');
    await boundClaim(ns, 'precious');
    const pvName = `pvc-${created.metadata.uid}`;
    await runtime.createVolume(`kubelab-pv-${pvName}`, {});
    expect((await getVolume(pvName)).spec?.persistentVolumeReclaimPolicy).toBe('Retain');

    await client.delete(PODS, ns, 'app', { gracePeriodSeconds: 0 });
    await client.delete(CLAIMS, ns, 'precious');
    const released = await eventually(async () => {
      const current = await getVolume(pvName);
      return current.status?.phase === 'Released' ? current : undefined;
    }, 'the PV to be Released', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const later = await getVolume(pvName);
    expect(later.metadata.deletionTimestamp).toBeUndefined();
    expect(later.status?.phase).toBe('Released');
    expect(released.spec?.claimRef?.name).toBe('precious');
    expect(runtime.volumes.has(`kubelab-pv-${pvName}`)).toBe(true);
  });
});

describe('static volumes', { timeout: 20_000 }, () => {
  it('binds a claim to a free static PV of its class that fits', async () => {
    const ns = await newNamespace();
    await client.create(VOLUMES, {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `static-${ns}` },
      spec: { capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'manual', hostPath: { path: '/tmp/static' } },
    } as KubeObject);
    await client.create(CLAIMS, claim(ns, 'manual-claim', 'manual'));
    const bound = await boundClaim(ns, 'manual-claim');
    expect(bound.spec?.volumeName).toBe(`static-${ns}`);
    expect(bound.status?.capacity).toEqual({ storage: '5Gi' });
    const pv = await getVolume(`static-${ns}`);
    expect(pv.spec?.claimRef?.name).toBe('manual-claim');
  });
});
