import { flushPromises } from '@vue/test-utils';
import type { Event, Node, Pod } from 'kubernetes-types/core/v1.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../core/api/kube-object.ts';
import { RestClient } from '../../../../core/client/rest-client.ts';
import { EXPLANATION_ANNOTATION } from '../../model/pending-reason.ts';
import { useUiStore } from '../../stores/ui.ts';
import { mountApp } from '../../test-support/mount-app.ts';
import DetailPanel from './DetailPanel.vue';

// The panels rendered from objects in the cluster store; API calls go to a stubbed fetch.

interface Call {
  url: string;
  method: string;
  headers: Headers;
  signal: AbortSignal | undefined;
}

function stubClient(respond: (call: Call) => Response = () => new Response('', { status: 200 })): { client: RestClient; calls: Call[] } {
  const calls: Call[] = [];
  const client = new RestClient({
    server: 'http://127.0.0.1:1',
    token: 'secret-token',
    fetch: async (input, init) => {
      const call = { url: String(input), method: init?.method ?? 'GET', headers: new Headers(init?.headers), signal: init?.signal ?? undefined };
      calls.push(call);
      return respond(call);
    },
  });
  return { client, calls };
}

const runningPod = {
  metadata: { name: 'web-1', namespace: 'shop', uid: 'p1', labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'r', controller: true }] },
  spec: {
    nodeName: 'lab-1',
    containers: [{ name: 'app', image: 'nginx:1', livenessProbe: { httpGet: { path: '/healthz', port: 8080 } }, readinessProbe: { tcpSocket: { port: 80 } } }],
  },
  status: {
    phase: 'Running',
    podIP: '10.1.0.7',
    qosClass: 'BestEffort',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [
      {
        name: 'app',
        image: 'nginx:1',
        imageID: '',
        ready: false,
        restartCount: 2,
        started: true,
        state: { running: { startedAt: '2024-05-01T10:00:00Z' } },
        lastState: { terminated: { exitCode: 137, reason: 'Error', finishedAt: '2024-05-01T09:59:00Z' } },
      },
    ],
  },
} satisfies Pod;

const unhealthy: Event = {
  metadata: { name: 'web-1.u', namespace: 'shop' },
  involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'shop', uid: 'p1', fieldPath: 'spec.containers{app}' },
  reason: 'Unhealthy',
  type: 'Warning',
  message: 'Readiness probe failed: connection refused',
  lastTimestamp: '2024-05-01T10:01:00Z',
};

const pendingPod = {
  metadata: {
    name: 'big',
    namespace: 'shop',
    uid: 'p2',
    annotations: {
      [EXPLANATION_ANNOTATION]: JSON.stringify({
        time: '2024-05-01T10:00:00Z',
        result: 'Unschedulable',
        message: '0/1 nodes are available: 1 Insufficient cpu.',
        nodes: [{ name: 'lab-1', filters: [{ plugin: 'NodeResourcesFit', code: 'Unschedulable', reasons: ['Insufficient cpu'] }] }],
      }),
    },
  },
  spec: { containers: [{ name: 'c', image: 'x' }] },
  status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' }] },
} satisfies Pod;

const node = {
  metadata: { name: 'lab-1', labels: { 'kubelab.io/endpoint-kind': 'lab' }, annotations: { 'kubelab.io/lab-node': 'true', 'kubelab.io/docker-endpoint': 'unix:///run/lab-1.sock' } },
  spec: { taints: [{ key: 'lab', value: 'x', effect: 'NoSchedule' }] },
  status: { allocatable: { cpu: '2', memory: '4Gi', pods: '110' }, capacity: { cpu: '2', memory: '4Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
} satisfies Node;

const objects = {
  pods: [runningPod, pendingPod] as unknown as KubeObject[],
  nodes: [node] as unknown as KubeObject[],
  events: [unhealthy] as unknown as KubeObject[],
};

describe('detail panel', () => {
  let unmount: (() => void) | undefined;
  afterEach(() => unmount?.());

  it('shows a pod: metadata, containers with state, restarts, probes and their results', async () => {
    const { client } = stubClient();
    const { wrapper } = await mountApp(DetailPanel, { objects, client }, { attachTo: document.body });
    unmount = () => wrapper.unmount();
    useUiStore().select({ kind: 'pod', namespace: 'shop', name: 'web-1' });
    await flushPromises();
    const panel = wrapper.get('[data-test="detail-panel"]');
    expect(panel.text()).toContain('10.1.0.7');
    expect(panel.text()).toContain('ReplicaSet/web-abc');
    expect(panel.get('[data-test="container-restarts"]').text()).toBe('2 restarts');
    expect(panel.text()).toContain('Terminated: Error (exit code 137)');
    expect(panel.get('[data-probe="readiness"]').attributes('data-result')).toBe('failing');
    expect(panel.get('[data-probe="readiness"]').text()).toContain('Readiness probe failed: connection refused');
    expect(panel.get('[data-probe="liveness"]').attributes('data-result')).toBe('passing');
    expect(panel.get('[data-probe="liveness"]').text()).toContain('http-get http://:8080/healthz');
    expect(panel.find('[data-test="pending-reason"]').exists()).toBe(false);
  });

  it('explains why a Pending pod has no node', async () => {
    const { wrapper } = await mountApp(DetailPanel, { objects, client: stubClient().client });
    unmount = () => wrapper.unmount();
    useUiStore().select({ kind: 'pod', namespace: 'shop', name: 'big' });
    await flushPromises();
    const reason = wrapper.get('[data-test="pending-reason"]');
    expect(reason.text()).toContain('0/1 nodes are available: 1 Insufficient cpu.');
    expect(reason.get('[data-node="lab-1"]').text()).toContain('NodeResourcesFit');
  });

  it('deletes a pod and shows the kubectl command', async () => {
    const { client, calls } = stubClient(() => new Response('{"kind":"Status","status":"Success"}', { headers: { 'content-type': 'application/json' } }));
    const { wrapper } = await mountApp(DetailPanel, { objects, client });
    unmount = () => wrapper.unmount();
    const ui = useUiStore();
    ui.select({ kind: 'pod', namespace: 'shop', name: 'big' });
    await flushPromises();
    await wrapper.get('[data-test="pod-delete"]').trigger('click');
    await flushPromises();
    expect(calls.some((c) => c.method === 'DELETE' && c.url.endsWith('/api/v1/namespaces/shop/pods/big'))).toBe(true);
    expect(ui.kubectlCommand).toBe('kubectl delete pod big -n shop');
  });

  it('shows a node with its resources, taints and pods; a pod click selects the pod; Escape closes', async () => {
    const { wrapper } = await mountApp(DetailPanel, { objects, client: stubClient().client });
    unmount = () => wrapper.unmount();
    const ui = useUiStore();
    ui.select({ kind: 'node', name: 'lab-1' });
    await flushPromises();
    const panel = wrapper.get('[data-test="node-panel"]');
    expect(panel.get('[data-test="node-kind"]').text()).toBe('lab');
    expect(panel.get('[data-test="node-taints"]').text()).toContain('lab=x:NoSchedule');
    expect(panel.find('[data-test="node-action-stop"]').exists()).toBe(true);
    await panel.get('[data-test="node-pod"][data-pod="web-1"]').trigger('click');
    expect(ui.selection).toEqual({ kind: 'pod', namespace: 'shop', name: 'web-1' });
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await flushPromises();
    expect(ui.selection).toBeUndefined();
    expect(wrapper.find('[data-test="detail-panel"]').exists()).toBe(false);
  });

  it('cordons from the node panel with a strategic merge patch and the kubectl hint', async () => {
    const { client, calls } = stubClient(() => new Response('{}', { headers: { 'content-type': 'application/json' } }));
    const { wrapper } = await mountApp(DetailPanel, { objects, client });
    unmount = () => wrapper.unmount();
    const ui = useUiStore();
    ui.select({ kind: 'node', name: 'lab-1' });
    await flushPromises();
    await wrapper.get('[data-test="node-action-cordon"]').trigger('click');
    await flushPromises();
    expect(calls.map((c) => `${c.method} ${new URL(c.url).pathname} ${c.headers.get('content-type')}`)).toContain('PATCH /api/v1/nodes/lab-1 application/strategic-merge-patch+json');
    expect(ui.kubectlCommand).toBe('kubectl cordon lab-1');
  });
});

describe('pod logs', () => {
  it('reads the log with the token, streams follow chunk by chunk, and cancels when the panel closes', async () => {
    let push: ((text: string) => void) | undefined;
    const { client, calls } = stubClient((call) => {
      const url = new URL(call.url);
      if (url.searchParams.get('follow') === 'true') {
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            push = (text) => controller.enqueue(new TextEncoder().encode(text));
            call.signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
          },
        });
        return new Response(stream, { headers: { 'content-type': 'text/plain' } });
      }
      return new Response(url.searchParams.get('previous') ? 'previous line\n' : 'line 1\nline 2\n', { headers: { 'content-type': 'text/plain' } });
    });
    const { wrapper } = await mountApp(DetailPanel, { objects, client });
    const ui = useUiStore();
    ui.select({ kind: 'pod', namespace: 'shop', name: 'web-1' });
    await flushPromises();
    const output = () => wrapper.get('[data-test="logs-output"]').text();
    expect(output()).toBe('line 1\nline 2');
    const first = new URL(calls[0].url);
    expect(first.pathname).toBe('/api/v1/namespaces/shop/pods/web-1/log');
    expect(Object.fromEntries(first.searchParams)).toEqual({ container: 'app', tailLines: '500' });
    expect(calls[0].headers.get('authorization')).toBe('Bearer secret-token');

    await wrapper.get('[data-test="logs-previous"]').setValue(true);
    await flushPromises();
    expect(output()).toBe('previous line');
    expect(ui.kubectlCommand).toBe('kubectl logs web-1 -n shop -c app --tail=500 --previous');

    await wrapper.get('[data-test="logs-previous"]').setValue(false);
    await wrapper.get('[data-test="logs-follow"]').setValue(true);
    await flushPromises();
    const followCall = calls.at(-1)!;
    expect(new URL(followCall.url).searchParams.get('follow')).toBe('true');
    push!('streamed 1\n');
    await flushPromises();
    push!('streamed 2\n');
    await flushPromises();
    expect(output()).toBe('streamed 1\nstreamed 2');

    ui.select(undefined);
    await flushPromises();
    expect(followCall.signal?.aborted).toBe(true);
    wrapper.unmount();
  });
});
