import type { Namespace, Pod } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, RESOURCES, type ResourceInfo } from '../api/resource-catalog.ts';
import type { Informer } from '../client/informer.ts';
import { collectionPath, objectPath } from '../client/rest-client.ts';
import { WorkQueue } from '../client/workqueue.ts';
import type { Controller, ControllerContext, ControllerFactory } from './controller.ts';
import { processQueue } from './run-controller.ts';

// Kubernetes' namespace controller (pkg/controller/namespace): a namespace being deleted
// is Terminating while spec.finalizers holds 'kubernetes'. The controller deletes every
// namespaced object in it (deletecollection per kind), waits until nothing is left (pods
// on nodes take their grace period: their agents remove them), then drops its finalizer
// through the finalize subresource, which lets the API server remove the namespace.

export const NAMESPACE_FINALIZER = 'kubernetes';
const NAMESPACES = findByKind('v1', 'Namespace') as ResourceInfo;
const PODS = findByKind('v1', 'Pod') as ResourceInfo;
const CONTENT_KINDS = RESOURCES.filter((info) => info.namespaced);
/** How soon a namespace with content still going away is checked again (pod deletions also wake it). */
const RECHECK_MS = 1000;
const FINALIZE_RETRIES = 5;

type NamespaceObject = Namespace & KubeObject;

class NamespaceController implements Controller {
  readonly name = 'namespace-controller';
  private ctx!: ControllerContext;
  private namespaces!: Informer<NamespaceObject>;
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 100, maxDelayMs: 30_000 });

  async run(ctx: ControllerContext): Promise<void> {
    this.ctx = ctx;
    this.namespaces = ctx.informers.informerFor<NamespaceObject>(NAMESPACES);
    this.namespaces.addEventHandler({
      onAdd: (ns) => this.enqueueIfTerminating(ns.metadata.name),
      onUpdate: (_old, ns) => this.enqueueIfTerminating(ns.metadata.name),
    });
    // The last pods of a namespace usually hold its deletion up: their removal is the cue to look again.
    ctx.informers.informerFor<Pod & KubeObject>(PODS).addEventHandler({
      onDelete: (pod) => this.enqueueIfTerminating(pod.metadata.namespace),
    });
    await processQueue(ctx, this.queue, (name) => this.sync(name), (name) => ({ namespace: name }));
  }

  private enqueueIfTerminating(name: string | undefined): void {
    if (!name) return;
    if (this.namespaces.lister().get(undefined, name)?.metadata.deletionTimestamp) this.queue.add(name);
  }

  private async sync(name: string): Promise<void> {
    const ns = this.namespaces.lister().get(undefined, name);
    if (!ns?.metadata.deletionTimestamp || !(ns.spec?.finalizers ?? []).includes(NAMESPACE_FINALIZER)) return;
    const remaining = await this.deleteAllContent(name);
    if (remaining.length) {
      this.ctx.logger.debug('namespace content still going away', { namespace: name, remaining: remaining.join(', ') });
      this.queue.addAfter(name, RECHECK_MS);
      return;
    }
    await this.finalize(name);
    this.ctx.reportAction(`deleted namespace ${name}`);
  }

  /** Deletes every namespaced object; returns `count kind` for what is still there. */
  private async deleteAllContent(namespace: string): Promise<string[]> {
    const remaining: string[] = [];
    for (const info of CONTENT_KINDS) {
      const { items } = await this.ctx.client.list(info, { namespace });
      if (!items.length) continue;
      if (items.some((item) => !item.metadata.deletionTimestamp)) {
        await this.ctx.client.raw('DELETE', collectionPath(info, namespace), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
      }
      const left = (await this.ctx.client.list(info, { namespace })).items.length;
      if (left) remaining.push(`${left} ${info.plural}`);
    }
    return remaining;
  }

  /** PUT namespaces/NAME/finalize without our finalizer; the API server then removes the namespace. */
  private async finalize(name: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let ns: NamespaceObject;
      try {
        ns = await this.ctx.client.get<NamespaceObject>(NAMESPACES, undefined, name);
      } catch (error) {
        if (isNotFound(error)) return;
        throw error;
      }
      const finalizers = ns.spec?.finalizers ?? [];
      if (!finalizers.includes(NAMESPACE_FINALIZER)) return;
      const body = { ...ns, spec: { ...ns.spec, finalizers: finalizers.filter((f) => f !== NAMESPACE_FINALIZER) } };
      try {
        await this.ctx.client.raw('PUT', objectPath(NAMESPACES, undefined, name, 'finalize'), body);
        return;
      } catch (error) {
        if (isNotFound(error)) return;
        if (!isConflict(error) || attempt >= FINALIZE_RETRIES) throw error;
      }
    }
  }
}

export const namespaceController: ControllerFactory = () => new NamespaceController();
