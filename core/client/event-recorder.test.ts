import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import { startTestApiServer, type TestApiServer } from '../apiserver/api-server-test-env.ts';
import { EventRecorder } from './event-recorder.ts';
import type { Logger } from '../log/logger.ts';
import { RestClient } from './rest-client.ts';

const EVENTS = findByKind('v1', 'Event') as ResourceInfo;
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let api: TestApiServer | undefined;
let client: RestClient;

beforeAll(async () => {
  api = await startTestApiServer('kubelab-events');
  client = api.client;
});
afterAll(async () => {
  await api?.close();
});

const pod = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}` } });

describe('EventRecorder', () => {
  it('writes a kubelet Event with source, reporting fields and timestamps', async () => {
    const recorder = new EventRecorder(client, { component: 'kubelet', host: 'node-1' });
    await recorder.record(pod('one'), 'Normal', 'Started', 'Started container main', 'spec.containers{main}');
    const { items } = await client.list(EVENTS, { namespace: 'default' });
    const event = items.find((e) => (e.involvedObject as { name: string }).name === 'one')!;
    expect(event).toMatchObject({
      involvedObject: { kind: 'Pod', name: 'one', namespace: 'default', uid: 'uid-one', fieldPath: 'spec.containers{main}' },
      reason: 'Started',
      message: 'Started container main',
      type: 'Normal',
      count: 1,
      source: { component: 'kubelet', host: 'node-1' },
      reportingComponent: 'kubelet',
      reportingInstance: 'node-1',
    });
    expect(event.firstTimestamp).toBe(event.lastTimestamp);
  });

  it('aggregates repeats within the window into one Event with a count, and starts a new one after it', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const recorder = new EventRecorder(client, { component: 'kubelet', host: 'node-1', now: () => now });
    await recorder.record(pod('two'), 'Warning', 'BackOff', 'Back-off restarting failed container');
    now = new Date('2030-01-01T00:01:00Z');
    await Promise.all([recorder.record(pod('two'), 'Warning', 'BackOff', 'Back-off restarting failed container'), recorder.record(pod('two'), 'Warning', 'BackOff', 'Back-off restarting failed container')]);
    await recorder.record(pod('two'), 'Warning', 'Unhealthy', 'different message');

    const list = async () => (await client.list(EVENTS, { namespace: 'default' })).items.filter((e) => (e.involvedObject as { name: string }).name === 'two');
    const backOff = (await list()).filter((e) => e.reason === 'BackOff');
    expect(backOff).toHaveLength(1);
    expect(backOff[0]).toMatchObject({ count: 3, firstTimestamp: '2030-01-01T00:00:00Z', lastTimestamp: '2030-01-01T00:01:00Z' });

    now = new Date('2030-01-01T00:20:00Z');
    await recorder.record(pod('two'), 'Warning', 'BackOff', 'Back-off restarting failed container');
    expect((await list()).filter((e) => e.reason === 'BackOff').map((e) => e.count)).toEqual([3, 1]);
  });

  it('never throws when the API server refuses the Event', async () => {
    const broken = new RestClient({ server: 'http://127.0.0.1:1', token: 'event-recorder-test-token-0123456789abcdef' });
    const recorder = new EventRecorder(broken, { component: 'kubelet', logger: silent });
    await expect(recorder.record(pod('three'), 'Normal', 'Pulled', 'x')).resolves.toBeUndefined();
  });
});
