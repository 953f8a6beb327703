import type { KubeObject } from '../api/kube-object.ts';
import { resourceKey, type ResourceInfo } from '../api/resource-catalog.ts';
import { Informer, type InformerOptions } from './informer.ts';
import type { RestClient } from './rest-client.ts';

// client-go's SharedInformerFactory: one informer per resource (all namespaces), shared
// by every controller in a process, so ten controllers watching pods open one watch.

export class InformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();

  constructor(
    private readonly client: RestClient,
    private readonly options: Pick<InformerOptions, 'resyncMs' | 'onError' | 'watchTimeoutSeconds'> = {},
  ) {}

  /** The shared informer for a resource; created on first use, started by start(). */
  informerFor<T extends KubeObject = KubeObject>(info: ResourceInfo): Informer<T> {
    const key = resourceKey(info);
    let informer = this.informers.get(key);
    if (!informer) {
      informer = new Informer(this.client, info, this.options);
      this.informers.set(key, informer);
    }
    return informer as unknown as Informer<T>;
  }

  /** Starts every informer asked for so far (and is safe to call again for later ones). */
  start(): void {
    for (const informer of this.informers.values()) informer.start();
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map((informer) => informer.waitForSync(signal)));
  }

  stop(): void {
    for (const informer of this.informers.values()) informer.stop();
  }
}
