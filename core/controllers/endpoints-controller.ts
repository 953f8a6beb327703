import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../api/errors.ts';
import { keyOf, type KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { Informer } from '../client/informer.ts';
import type { LabelMatcher } from '../client/lister.ts';
import { WorkQueue } from '../client/workqueue.ts';
import type { Controller, ControllerContext, ControllerFactory } from './controller.ts';
import { endpointSubsetsFor } from './endpoint-subsets.ts';
import { processQueue } from './run-controller.ts';
import { jsonEqual } from '../store/json-clone.ts';

// Kubernetes' endpoints controller (pkg/controller/endpoint): every Service with a
// selector gets an Endpoints object of the same name listing its pods' addresses, ready
// or not, per port. Services without a selector are left alone: their Endpoints are the
// user's. Keys are `namespace/name` of the Service.

const SERVICES = findByKind('v1', 'Service') as ResourceInfo;
const PODS = findByKind('v1', 'Pod') as ResourceInfo;
const ENDPOINTS = findByKind('v1', 'Endpoints') as ResourceInfo;
/** Set on the Endpoints of headless services, as Kubernetes does. */
const HEADLESS_LABEL = 'service.kubernetes.io/headless';

type ServiceObject = Service & KubeObject;
type PodObject = Pod & KubeObject;
type EndpointsObject = Endpoints & KubeObject;

function selectorOf(service: Service): Record<string, string> | undefined {
  const selector = service.spec?.selector;
  return selector && Object.keys(selector).length > 0 ? selector : undefined;
}

function matcherFor(selector: Record<string, string>): LabelMatcher {
  return { matches: (labels) => Object.entries(selector).every(([key, value]) => labels[key] === value) };
}

class EndpointsController implements Controller {
  readonly name = 'endpoint-controller';
  private ctx!: ControllerContext;
  private services!: Informer<ServiceObject>;
  private pods!: Informer<PodObject>;
  private endpoints!: Informer<EndpointsObject>;
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 50, maxDelayMs: 30_000 });

  async run(ctx: ControllerContext): Promise<void> {
    this.ctx = ctx;
    this.services = ctx.informers.informerFor<ServiceObject>(SERVICES);
    this.pods = ctx.informers.informerFor<PodObject>(PODS);
    this.endpoints = ctx.informers.informerFor<EndpointsObject>(ENDPOINTS);
    const enqueueService = (service: ServiceObject) => this.queue.add(keyOf(service));
    this.services.addEventHandler({ onAdd: enqueueService, onUpdate: (_old, s) => enqueueService(s), onDelete: enqueueService });
    this.pods.addEventHandler({
      onAdd: (pod) => this.enqueueServicesOf(pod),
      onUpdate: (old, pod) => {
        this.enqueueServicesOf(pod);
        if (!jsonEqual(old.metadata.labels, pod.metadata.labels)) this.enqueueServicesOf(old);
      },
      onDelete: (pod) => this.enqueueServicesOf(pod),
    });
    // Endpoints changed or removed by someone else are put back, for services we manage.
    const repair = (endpoints: EndpointsObject) => {
      const service = this.services.lister().get(endpoints.metadata.namespace, endpoints.metadata.name ?? '');
      if (service && selectorOf(service)) this.queue.add(keyOf(endpoints));
    };
    this.endpoints.addEventHandler({ onUpdate: (_old, e) => repair(e), onDelete: repair });
    await processQueue(ctx, this.queue, (key) => this.sync(key), (key) => ({ service: key }));
  }

  private enqueueServicesOf(pod: PodObject): void {
    const namespace = pod.metadata.namespace ?? '';
    const labels = pod.metadata.labels ?? {};
    for (const service of this.services.lister().listNamespace(namespace)) {
      const selector = selectorOf(service);
      if (selector && matcherFor(selector).matches(labels)) this.queue.add(keyOf(service));
    }
  }

  private async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/');
    const service = this.services.lister().get(namespace, name);
    if (!service) return this.deleteEndpoints(namespace, name);
    const selector = selectorOf(service);
    if (!selector || service.spec?.type === 'ExternalName') return;

    const pods = this.pods.lister().listNamespace(namespace, matcherFor(selector));
    const subsets = endpointSubsetsFor(service, pods);
    const labels: Record<string, string> = { ...(service.metadata.labels ?? {}) };
    if (service.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
    else delete labels[HEADLESS_LABEL];

    const current = this.endpoints.lister().get(namespace, name);
    if (current && jsonEqual(current.subsets ?? [], subsets) && jsonEqual(current.metadata.labels ?? {}, labels)) return;
    const metadata = { ...(current?.metadata ?? { name, namespace }), labels };
    const desired = { apiVersion: 'v1', kind: 'Endpoints', metadata, ...(subsets.length ? { subsets } : {}) } as EndpointsObject;
    if (current) {
      // The cached resourceVersion guards against overwriting a newer write: a Conflict retries the key.
      await this.ctx.client.update(ENDPOINTS, desired);
    } else {
      await this.ctx.client.create(ENDPOINTS, desired);
    }
    const ready = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
    this.ctx.logger.debug('endpoints updated', { service: key, ready });
  }

  private async deleteEndpoints(namespace: string, name: string): Promise<void> {
    if (!this.endpoints.lister().get(namespace, name)) return;
    try {
      await this.ctx.client.delete(ENDPOINTS, namespace, name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}

export const endpointsController: ControllerFactory = () => new EndpointsController();
