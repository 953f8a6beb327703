import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import { startApiServer, type RunningApiServer } from '../apiserver/api-server.ts';
import { ensureSystemNamespaces } from '../apiserver/bootstrap-namespaces.ts';
import { ResourceService } from '../apiserver/resource-service.ts';
import { EventRecorder } from '../client/event-recorder.ts';
import { InformerFactory } from '../client/informer-factory.ts';
import { RestClient } from '../client/rest-client.ts';
import type { Logger } from '../log/logger.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import { EXPLANATION_ANNOTATION, readExplanation } from './explanation.ts';
import { Scheduler } from './scheduler.ts';
import type { SchedulerSettings } from './scheduler-settings.ts';
import { makeNode, makePod, type NodeFixture } from './test-fixtures.ts';
import { eventually } from '../../test/support/eventually.ts';

// The scheduler against an in-process API server, with nodes written as plain objects
// (no node agents): what a user sees are bindings, conditions, events and annotations.

const TOKEN = 'scheduler-test-token-0123456789abcdef';
const PODS = findByKind('v1', 'Pod') as ResourceInfo;
const NODES = findByKind('v1', 'Node') as ResourceInfo;
const EVENTS = findByKind('v1', 'Event') as ResourceInfo;
const CONFIGMAPS = findByKind('v1', 'ConfigMap') as ResourceInfo;
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
// Short backoff; the leftover sweep is far away, so a pod that becomes schedulable proves
// that the cluster change itself moved it.
const SETTINGS: SchedulerSettings = {
  podInitialBackoffSeconds: 0.05,
  podMaxBackoffSeconds: 0.2,
  podMaxInUnschedulablePodsSeconds: 3600,
  unschedulableFlushIntervalSeconds: 3600,
};

let store: LowdbStore;
let server: RunningApiServer;
let client: RestClient;
let informers: InformerFactory;
let abort: AbortController;
let running: Promise<void> | undefined;
let scheduler: Scheduler;
const actions: string[] = [];
let clockTicks = 0;

beforeEach(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kubelab-scheduler-test-'));
  store = new LowdbStore({ file: join(dir, 'kubelab-data.json') });
  await store.open();
  await ensureSystemNamespaces(new ResourceService(store));
  server = await startApiServer({ store, token: TOKEN, logger: silent });
  client = new RestClient({ server: server.httpUrl, token: TOKEN });
  informers = new InformerFactory(client);
  abort = new AbortController();
  actions.length = 0;
  scheduler = new Scheduler({
    client,
    informers,
    recorder: new EventRecorder(client, { component: 'default-scheduler' }),
    logger: silent,
    reportAction: (action) => actions.push(action),
    settings: SETTINGS,
    random: () => 0,
    // Every attempt a minute later, so a rewritten explanation would always differ in "time".
    now: () => new Date(Date.UTC(2024, 0, 1) + 60_000 * clockTicks++),
  });
});

afterEach(async () => {
  abort.abort();
  await running;
  running = undefined;
  informers.stop();
  await server.close();
  await store.close();
});

function startScheduler(): void {
  running = scheduler.run(abort.signal);
}

async function createNode(name: string, fixture: NodeFixture): Promise<void> {
  const node = makeNode(name, fixture);
  const created = await client.create<KubeObject>(NODES, { ...node, status: undefined } as unknown as KubeObject);
  await client.updateStatus(NODES, { ...created, status: node.status } as KubeObject);
}

async function createPod(pod: Pod): Promise<void> {
  const { uid: _uid, ...metadata } = pod.metadata!;
  await client.create(PODS, { ...pod, metadata } as unknown as KubeObject);
}

async function getPod(name: string): Promise<Pod> {
  return (await client.get<KubeObject>(PODS, 'default', name)) as unknown as Pod;
}

async function boundNode(name: string): Promise<string> {
  return eventually(async () => (await getPod(name)).spec?.nodeName || undefined, `pod ${name} to be bound`, 10_000);
}

async function eventsAbout(name: string, reason: string): Promise<KubeObject[]> {
  const { items } = await client.list(EVENTS, { namespace: 'default' });
  return items.filter((e) => (e.involvedObject as { name?: string }).name === name && e.reason === reason);
}

// Each test pays ~3 s in teardown: the API server's close waits for the aborted watch streams.
describe('Scheduler', { timeout: 15_000 }, () => {
  it('binds a burst of pods across nodes, with events and explanations', async () => {
    for (const name of ['a', 'b', 'c']) await createNode(name, { cpu: '2', memory: '4Gi' });
    const names = Array.from({ length: 6 }, (_, i) => `web-${i}`);
    // All pending before the scheduler starts: only the assumed cache can spread them.
    for (const name of names) await createPod(makePod(name, { cpu: '250m', memory: '256Mi' }));
    startScheduler();

    const placements = await Promise.all(names.map(boundNode));
    const perNode = placements.reduce<Record<string, number>>((acc, n) => ({ ...acc, [n]: (acc[n] ?? 0) + 1 }), {});
    expect(perNode).toEqual({ a: 2, b: 2, c: 2 });

    for (const [i, name] of names.entries()) {
      const pod = await getPod(name);
      // Written by the binding itself, so a bound pod already explains itself.
      const explanation = readExplanation(pod)!;
      expect(explanation.result).toBe('Scheduled');
      expect(explanation.node).toBe(placements[i]);
      expect(explanation.nodes.map((n) => n.name)).toEqual(['a', 'b', 'c']);
      expect(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
      const scheduled = await eventually(async () => (await eventsAbout(name, 'Scheduled'))[0], `Scheduled event of ${name}`, 10_000);
      expect(scheduled.type).toBe('Normal');
      expect(scheduled.message).toBe(`Successfully assigned default/${name} to ${placements[i]}`);
    }
    expect(actions).toContain(`assigned pod default/web-0 to node ${placements[0]}`);
  });

  it('binds with the explanation on the Binding: no version of the pod has it before the node', async () => {
    await createNode('a', { cpu: '2', memory: '4Gi' });
    await createPod(makePod('solo', { cpu: '100m' }));
    const { resourceVersion } = await client.list(PODS, { namespace: 'default' });
    const versions: Pod[] = [];
    const stop = new AbortController();
    const watching = client.watch(PODS, { namespace: 'default', resourceVersion }, (event) => void versions.push(event.object as Pod), stop.signal);
    startScheduler();
    expect(await boundNode('solo')).toBe('a');
    await eventually(async () => versions.some((v) => v.spec?.nodeName) || undefined, 'the bound pod on the watch', 10_000);
    stop.abort();
    await watching.catch(() => {});
    const first = versions.find((v) => v.metadata?.annotations?.[EXPLANATION_ANNOTATION])!;
    expect(first.spec?.nodeName).toBe('a');
    expect(readExplanation(first)?.node).toBe('a');
  });

  it('starts each cycle at the node where the last one stopped checking (nextStartNodeIndex)', async () => {
    // 200 nodes: a cycle stops after 100 feasible ones, so the second pod is tried on the other 100.
    const name = (i: number) => `n-${String(i).padStart(3, '0')}`;
    await Promise.all(Array.from({ length: 200 }, (_, i) => createNode(name(i), { cpu: '2', memory: '4Gi' })));
    await createPod(makePod('first', { cpu: '100m' }));
    await createPod(makePod('second', { cpu: '100m' }));
    startScheduler();
    expect(await boundNode('first')).toBe(name(0));
    expect(await boundNode('second')).toBe(name(100));
    const explanation = readExplanation(await getPod('second'))!;
    expect(explanation.uncheckedNodes).toBe(100);
    expect(explanation.omittedNodes).toBe(100 - explanation.nodes.length);
    expect(explanation.nodes.every((n) => n.name >= name(100))).toBe(true);
  });

  it('lets timers and I/O run during a long burst of attempts (the leader Lease must keep being renewed)', async () => {
    for (const name of ['a', 'b', 'c']) await createNode(name, { cpu: '2', memory: '4Gi' });
    for (let i = 0; i < 6; i++) await createPod(makePod(`burst-${i}`, { cpu: '10m' }));
    // Macrotasks that ran meanwhile: one setImmediate after another, as pending I/O would.
    let ticks = 0;
    let ticking = true;
    const tick = () => {
      ticks++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const ticksAtAssume: number[] = [];
    // The scheduler's clock: every attempt (each breaks a tie) takes 15 ms of it.
    let clock = Date.parse('2026-01-01T00:00:00Z');
    scheduler = new Scheduler({
      client,
      informers,
      recorder: new EventRecorder(client, { component: 'default-scheduler' }),
      logger: { ...silent, debug: (msg) => msg === 'pod assumed' && ticksAtAssume.push(ticks) },
      settings: SETTINGS,
      random: () => {
        clock += 15;
        return 0;
      },
      now: () => new Date(clock),
    });
    startScheduler();
    await Promise.all(Array.from({ length: 6 }, (_, i) => boundNode(`burst-${i}`)));
    ticking = false;
    expect(ticksAtAssume).toHaveLength(6);
    expect(ticksAtAssume.at(-1)!).toBeGreaterThan(ticksAtAssume[0]);
  });

  it('keeps an unschedulable pod Pending with the reason, and schedules it when a big enough node joins', async () => {
    await createNode('small-1', { cpu: '1' });
    await createNode('small-2', { cpu: '1' });
    startScheduler();
    await createPod(makePod('big', { cpu: '4' }));
    const message =
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.';

    const condition = await eventually(async () => {
      const found = (await getPod('big')).status?.conditions?.find((c) => c.type === 'PodScheduled');
      return found?.status === 'False' ? found : undefined;
    }, 'PodScheduled=False', 10_000);
    expect(condition).toMatchObject({ reason: 'Unschedulable', message });
    const failed = await eventually(async () => (await eventsAbout('big', 'FailedScheduling'))[0], 'FailedScheduling event', 10_000);
    expect(failed).toMatchObject({ type: 'Warning', message });
    const explanation = readExplanation(await getPod('big'))!;
    expect(explanation).toMatchObject({ result: 'Unschedulable', message });
    expect(explanation.nodes[0].filters.at(-1)).toEqual({ plugin: 'NodeResourcesFit', code: 'UnschedulableAndUnresolvable', reasons: ['Insufficient cpu'] });
    expect((await getPod('big')).spec?.nodeName).toBeUndefined();

    await createNode('large', { cpu: '8' });
    expect(await boundNode('big')).toBe('large');
    const after = readExplanation(await getPod('big'))!;
    expect(after).toMatchObject({ result: 'Scheduled', node: 'large' });
  });

  it('writes the explanation only when the outcome changes', async () => {
    await createNode('tiny', { cpu: '1' });
    startScheduler();
    await createPod(makePod('big', { cpu: '4' }));
    await eventually(async () => readExplanation(await getPod('big')), 'first explanation', 10_000);
    const first = (await getPod('big')).metadata?.annotations?.[EXPLANATION_ANNOTATION];
    // A label change retries the pod at once; the outcome is the same, so nothing new is written.
    await client.patch(PODS, 'default', 'big', { metadata: { labels: { retry: '1' } } }, 'merge');
    await eventually(async () => {
      const events = await eventsAbout('big', 'FailedScheduling');
      return (events[0]?.count as number) >= 2 ? true : undefined;
    }, 'second failed attempt', 10_000);
    expect((await getPod('big')).metadata?.annotations?.[EXPLANATION_ANNOTATION]).toBe(first);
  });

  it('follows the ConfigMap: MostAllocated packs, an invalid config is reported and ignored', async () => {
    await createNode('a', { cpu: '4', memory: '8Gi' });
    await createNode('b', { cpu: '4', memory: '8Gi' });
    startScheduler();
    await createPod(makePod('first', { cpu: '1', memory: '1Gi' }));
    expect(await boundNode('first')).toBe('a');
    // Under LeastAllocated the next pod goes to the emptier node.
    await createPod(makePod('second', { cpu: '1', memory: '1Gi' }));
    expect(await boundNode('second')).toBe('b');

    await client.create(CONFIGMAPS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kubelab-scheduler', namespace: 'kube-system' },
      data: { 'config.yaml': 'scoringStrategy: MostAllocated\n' },
    });
    await eventually(async () => (scheduler.currentConfig().scoringStrategy === 'MostAllocated' ? true : undefined), 'MostAllocated', 10_000);
    // Both nodes now hold 1 cpu: the tie goes to a; then packing keeps filling a, where
    // LeastAllocated would have chosen the emptier b.
    await createPod(makePod('third', { cpu: '2', memory: '1Gi' }));
    expect(await boundNode('third')).toBe('a');
    await createPod(makePod('fourth', { cpu: '500m', memory: '512Mi' }));
    expect(await boundNode('fourth')).toBe('a');

    await client.patch(CONFIGMAPS, 'kube-system', 'kubelab-scheduler', { data: { 'config.yaml': 'scoringStrategy: Tightest\n' } }, 'merge');
    const warning = await eventually(async () => {
      const { items } = await client.list(EVENTS, { namespace: 'kube-system' });
      return items.find((e) => e.reason === 'InvalidConfiguration');
    }, 'InvalidConfiguration event', 10_000);
    expect(warning.message).toContain('scoringStrategy: Unsupported value: "Tightest"');
    expect(scheduler.currentConfig().scoringStrategy).toBe('MostAllocated');
  });
});
